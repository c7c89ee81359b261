"""The daily roll-ups follow the domain events (docs/analytics.md).

Each event names the records it concerns; the subscriber loads them by id and adds what
they contribute, keyed by the record, so a redelivered event counts nothing twice.
"""

from __future__ import annotations

from huiyuan.analytics import rollups
from huiyuan.checkout.models import Sale, SaleReturn
from huiyuan.events.models import OutboxEvent
from huiyuan.events.registry import subscriber
from huiyuan.members.models import Member
from huiyuan.wallet.models import Recharge, Refund

# Events whose ledger operation may move points.
POINTS_EVENTS = (
    "sale.completed",
    "sale.reversed",
    "sale.returned",
    "points.adjusted",
    "gift.redeemed",
    "gift.redemption_cancelled",
    "lottery.drawn",
    "checkin.recorded",
)


def _operation(event: OutboxEvent) -> None:
    op_id = event.payload.get("operation_id")
    if op_id:
        rollups.source_apply(rollups.operation_source(int(op_id)))


@subscriber(
    *POINTS_EVENTS,
    "wallet.recharged",
    "wallet.refunded",
    "member.registered",
    name="analytics.rollup",
)
def rollup(event: OutboxEvent) -> None:
    """Add the event's records to the daily figures, once each."""
    payload = event.payload
    name = event.name
    if name == "sale.completed":
        sale = Sale.objects.filter(pk=payload["sale_id"]).first()
        if sale is not None:
            rollups.source_apply(rollups.sale_source(sale))
    elif name == "sale.reversed":
        sale = Sale.objects.filter(pk=payload["sale_id"]).first()
        if sale is not None:
            rollups.source_apply(rollups.reversal_source(sale))
    elif name == "sale.returned":
        ret = SaleReturn.objects.filter(pk=payload["return_id"]).first()
        if ret is not None:
            rollups.source_apply(rollups.return_source(ret))
    elif name == "wallet.recharged":
        recharge = Recharge.objects.filter(pk=payload["recharge_id"]).first()
        if recharge is not None:
            rollups.source_apply(rollups.recharge_source(recharge))
    elif name == "wallet.refunded":
        refund = Refund.objects.filter(pk=payload["refund_id"]).first()
        if refund is not None:
            rollups.source_apply(rollups.refund_source(refund))
    elif name == "member.registered":
        member = Member.objects.filter(pk=event.member_id or 0).first()
        if member is not None:
            rollups.source_apply(rollups.member_source(member))
    if name in POINTS_EVENTS:
        _operation(event)
