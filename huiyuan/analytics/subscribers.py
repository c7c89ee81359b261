"""The daily roll-ups follow the domain events (docs/analytics.md).

Each event names the records it concerns; the subscriber loads them by id and adds what
they contribute, keyed by the record, so a redelivered event counts nothing twice.
"""

from __future__ import annotations

from huiyuan.activities.models import Signup
from huiyuan.analytics import rollups
from huiyuan.checkout.models import Sale, SaleReturn
from huiyuan.coupons.models import Coupon
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
    "coupon.issued",
    "coupon.used",
    "coupon.restored",
    "activity.signed_up",
    "activity.seat_promoted",
    "activity.signup_cancelled",
    "activity.attended",
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
    elif name.startswith("coupon."):
        _coupon(name, payload)
    elif name.startswith("activity."):
        _signup(name, payload)
    if name in POINTS_EVENTS:
        _operation(event)


def _coupon(name: str, payload: dict[str, object]) -> None:
    coupon_id, sale_id = int(str(payload["coupon_id"])), payload.get("sale_id")
    if name == "coupon.restored":
        rollups.source_apply(rollups.coupon_restored_source(coupon_id, int(str(sale_id))))
        return
    coupon = Coupon.objects.select_related("member").filter(pk=coupon_id).first()
    if coupon is None:
        return
    if name == "coupon.issued":
        rollups.source_apply(rollups.coupon_issued_source(coupon))
    elif coupon.sale_id == sale_id:  # coupon.used: the use still stands (not restored since)
        rollups.source_apply(rollups.coupon_used_source(coupon))


def _signup(name: str, payload: dict[str, object]) -> None:
    signup = Signup.objects.filter(pk=int(str(payload["signup_id"]))).first()
    if signup is None:
        return
    if name in ("activity.signed_up", "activity.seat_promoted"):
        rollups.source_apply(rollups.signup_seated_source(signup))
    elif name == "activity.signup_cancelled":
        rollups.source_apply(rollups.signup_cancelled_source(signup))
    elif name == "activity.attended":
        rollups.source_apply(rollups.signup_attended_source(signup))
