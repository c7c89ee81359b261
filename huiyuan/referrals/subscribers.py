"""Referral rewards and commission, after the registration or the sale committed."""

from __future__ import annotations

from django.utils import timezone

from huiyuan.checkout.models import Sale
from huiyuan.events.models import OutboxEvent
from huiyuan.events.registry import subscriber
from huiyuan.members.models import Member
from huiyuan.referrals import services
from huiyuan.referrals.models import ReferralReward


@subscriber("member.registered", name="referrals.reward_join")
def reward_join(event: OutboxEvent) -> None:
    """The referrer's points when a referee joins (once per referee)."""
    if event.member_id is None or not event.payload.get("referrer_id"):
        return
    services.reward_referrer(
        referee_id=event.member_id, kind=ReferralReward.Kind.JOIN, now=timezone.now()
    )


@subscriber("sale.completed", name="referrals.on_sale")
def on_sale(event: OutboxEvent) -> None:
    """A referee's first purchase rewards the referrer once; every paid sale credits the
    upline's commission, held for the return window."""
    sale = (
        Sale.objects.filter(pk=event.payload["sale_id"])
        .only("pk", "member_id", "store_id", "status")
        .first()
    )
    if sale is None or sale.member_id is None:
        return
    referrer_id = (
        Member.objects.filter(pk=sale.member_id).values_list("referrer_id", flat=True).first()
    )
    if referrer_id is None:
        return
    paid = int(event.payload.get("paid_principal_fen", 0)) + int(
        event.payload.get("paid_external_fen", 0)
    )
    now = timezone.now()
    if paid > 0:
        services.reward_referrer(
            referee_id=sale.member_id,
            kind=ReferralReward.Kind.FIRST_PURCHASE,
            now=now,
            sale_id=sale.pk,
        )
    services.commission_on_sale(
        sale_id=sale.pk,
        referee_id=sale.member_id,
        store_id=sale.store_id,
        paid_principal_fen=int(event.payload.get("paid_principal_fen", 0)),
        paid_external_fen=int(event.payload.get("paid_external_fen", 0)),
        now=now,
    )


@subscriber("sale.returned", name="referrals.on_return")
def on_return(event: OutboxEvent) -> None:
    """A return reverses the commission in proportion to the paid amount returned."""
    payload = event.payload
    services.commission_on_return(
        sale_id=int(payload["sale_id"]),
        return_id=int(payload["return_id"]),
        refunded_paid_fen=int(payload.get("refund_principal_fen", 0))
        + int(payload.get("refund_external_fen", 0)),
        now=timezone.now(),
    )


@subscriber("sale.reversed", name="referrals.on_reversal")
def on_reversal(event: OutboxEvent) -> None:
    """A reversal (冲正) reverses what is left of the sale's commission."""
    services.commission_on_return(
        sale_id=int(event.payload["sale_id"]),
        return_id=0,
        refunded_paid_fen=0,
        now=timezone.now(),
        whole=True,
    )
