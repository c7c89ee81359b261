"""Background jobs of analytics: the daily sweep of the roll-ups, scheduled reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django_tasks import task

from huiyuan.analytics.rollups import active_counts_prune, active_members_count, sweep_operations
from huiyuan.core.clock import local_today


@task()
def analytics_daily() -> dict[str, Any]:
    """Count the ledger's points movements no event announced (expiry) in the last three
    days, renew the kept active-member counts, then send the scheduled reports that are
    due."""
    from huiyuan.analytics.schedules import schedules_send_due

    added = sweep_operations(local_today() - dt.timedelta(days=3))
    today = local_today()
    pruned = active_counts_prune(today)
    # Count the chain's usual ranges now, so the day's first dashboard does not wait for
    # the distinct count (seconds at millions of sales): this month, the last 365 days.
    for first in (today.replace(day=1), today - dt.timedelta(days=364)):
        active_members_count(None, first, today)
    return {"operations": added, "active_counts": pruned, "reports": schedules_send_due()}
