"""The outbox subscriber that turns committed events into webhook deliveries.

It listens to every event in the catalogue but *wants* one only when an active
subscription lists its name (``interest.event_wanted``, cached): a chain without webhooks
pays nothing per event.
"""

from __future__ import annotations

from huiyuan.events.models import OutboxEvent
from huiyuan.events.names import EVENTS
from huiyuan.events.registry import subscriber
from huiyuan.webhooks.delivery import fan_out
from huiyuan.webhooks.interest import event_wanted


@subscriber(*EVENTS, name="webhooks.fan_out", wants=event_wanted)
def webhooks_fan_out(event: OutboxEvent) -> None:
    """One delivery per subscription listening to this event, sent by the worker."""
    fan_out(event)
