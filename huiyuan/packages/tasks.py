"""Background tasks of packages (scheduled daily by ``huiyuan/jobs/scheduler.py``)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from huiyuan.core.permissions import Actor, Role
from huiyuan.packages.expiry import packages_expiry_run

SYSTEM = Actor(role=Role.OWNER)


@task()
def package_expiry() -> dict[str, Any]:
    """Expiry reminders (``package.expiring``) and expiry (``package.expired``)."""
    return packages_expiry_run(actor=SYSTEM)
