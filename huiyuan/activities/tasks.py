"""Background tasks of the activities app (the worker runs them)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from huiyuan.core.permissions import Actor, Role

SYSTEM = Actor(role=Role.OWNER)


@task()
def activities_daily() -> dict[str, Any]:
    """Greet today's birthdays and holidays of the running care activities."""
    from huiyuan.activities.services.rewards import care_run

    return care_run(actor=SYSTEM)


@task()
def run_grant_batch(batch_id: int) -> dict[str, Any]:
    from huiyuan.activities.services.grants import grant_batch_run

    batch = grant_batch_run(actor=SYSTEM, batch_id=batch_id)
    return {"batch": batch.pk, "given": batch.given, "skipped": batch.skipped}
