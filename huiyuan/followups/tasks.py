"""The daily follow-up job: overdue tasks and their reminders, then lapses."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from huiyuan.followups.automatic import followups_detect_lapses, followups_mark_overdue


@task()
def followups_daily() -> dict[str, Any]:
    """Mark overdue tasks (reminding assignees) and make lapse tasks, once per lapse."""
    result = followups_mark_overdue()
    result["lapses"] = followups_detect_lapses()
    return result
