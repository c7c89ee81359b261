"""Test helpers: what the development/test outbox channel received."""

from __future__ import annotations

from huiyuan.care.models import OutboxMessage
from huiyuan.core.pii import keyed_hash


def outbox(mobile: str) -> list[str]:
    """Rendered bodies delivered to ``mobile`` (or an e-mail address) through the outbox
    channel, oldest first (newest last)."""
    return list(
        OutboxMessage.objects.filter(recipient_hash=keyed_hash(mobile))
        .order_by("pk")
        .values_list("body", flat=True)
    )
