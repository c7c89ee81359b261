"""Background jobs of analytics: the daily sweep of the roll-ups, scheduled reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django_tasks import task

from huiyuan.analytics.rollups import sweep_operations
from huiyuan.core.clock import local_today


@task()
def analytics_daily() -> dict[str, Any]:
    """Count the ledger's points movements no event announced (expiry) in the last three
    days, then send the scheduled reports that are due."""
    from huiyuan.analytics.schedules import schedules_send_due

    added = sweep_operations(local_today() - dt.timedelta(days=3))
    return {"operations": added, "reports": schedules_send_due()}
