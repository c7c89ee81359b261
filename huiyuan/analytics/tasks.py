"""Background jobs of analytics: the daily sweep of the roll-ups, scheduled reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django_tasks import task

from huiyuan.analytics.rollups import active_counts_keep, active_counts_prune, sweep_operations
from huiyuan.core.clock import local_today


@task()
def analytics_daily() -> dict[str, Any]:
    """Count the ledger's points movements no event announced (expiry) in the last three
    days, renew the kept active-member counts (the usual ranges, ``active_counts_keep``),
    then send the scheduled reports that are due."""
    from huiyuan.analytics.schedules import schedules_send_due

    added = sweep_operations(local_today() - dt.timedelta(days=3))
    today = local_today()
    pruned = active_counts_prune(today)
    # Count the usual ranges now, for the chain and each store, so the day's first
    # dashboard does not wait for the distinct count (seconds at millions of sales).
    counted = active_counts_keep(today)
    return {
        "operations": added,
        "active_counts": pruned,
        "active_counted": counted,
        "reports": schedules_send_due(),
    }
