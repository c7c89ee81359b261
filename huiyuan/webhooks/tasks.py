"""The sender task: enqueued after a fan-out or a replay commits, at each retry's time
(when the task backend can defer) and by the scheduler's sweep."""

from __future__ import annotations

from django_tasks import task

from huiyuan.webhooks.delivery import deliveries_send


@task()
def send_webhooks() -> dict[str, int]:
    """Send the webhook deliveries that are due."""
    return deliveries_send().as_dict()
