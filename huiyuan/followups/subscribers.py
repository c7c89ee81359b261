"""Follow-ups made from domain events (docs/events.md)."""

from __future__ import annotations

from huiyuan.events.models import OutboxEvent
from huiyuan.events.registry import subscriber
from huiyuan.followups.automatic import followup_on_sale


@subscriber("sale.completed", name="followups.first_purchase")
def first_purchase(event: OutboxEvent) -> None:
    """After a member's first purchase, one thank-you call (once per member)."""
    followup_on_sale(int(event.payload["sale_id"]))
