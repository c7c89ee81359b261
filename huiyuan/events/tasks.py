"""The dispatch task: enqueued after each commit that wrote events, and by the scheduler's
sweep when events are due (``huiyuan.jobs.scheduler.tick``)."""

from __future__ import annotations

from django_tasks import task

from huiyuan.events.dispatch import events_dispatch


@task()
def dispatch_events() -> dict[str, int]:
    """Deliver due domain events to their subscribers."""
    return events_dispatch().as_dict()
