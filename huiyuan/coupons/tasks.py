"""Background tasks of the coupons app (the worker runs them)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from huiyuan.core.permissions import Actor, Role

SYSTEM = Actor(role=Role.OWNER)


@task()
def run_issue_batch(batch_id: int) -> dict[str, Any]:
    from huiyuan.coupons.services.batch import issue_batch_run

    batch = issue_batch_run(actor=SYSTEM, batch_id=batch_id)
    return {"batch": batch.pk, "issued": batch.issued, "skipped": batch.skipped}
