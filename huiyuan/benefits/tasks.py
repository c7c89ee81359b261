"""Background tasks of benefit cards (scheduled daily by ``huiyuan/jobs/scheduler.py``)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from huiyuan.benefits.expiry import benefits_expiry_run
from huiyuan.core.permissions import Actor, Role

SYSTEM = Actor(role=Role.OWNER)


@task()
def benefit_expiry() -> dict[str, Any]:
    """Renewal reminders (``benefit.expiring``) and expiry of ended cards."""
    return benefits_expiry_run(actor=SYSTEM)
