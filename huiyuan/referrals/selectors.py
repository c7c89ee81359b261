"""Reads of referral rewards and commission (store scope: a store's staff see the
commission of sales made at their stores)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.referrals.models import ReferralCommission, ReferralPayout, ReferralReward


def commissions(
    *, actor: Actor, member_id: int | None = None, status: str = ""
) -> QuerySet[ReferralCommission]:
    require(actor, Perm.MEMBER_VIEW)
    rows = ReferralCommission.objects.select_related("beneficiary", "referee")
    if actor.store_ids is not None:
        rows = rows.filter(store_id__in=actor.store_ids)
    if member_id is not None:
        rows = rows.filter(beneficiary_id=member_id)
    if status in ReferralCommission.Status.values:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-pk")


def rewards(*, actor: Actor, member_id: int | None = None) -> QuerySet[ReferralReward]:
    require(actor, Perm.MEMBER_VIEW)
    rows = ReferralReward.objects.select_related(
        "referrer", "referee", "card", "coupon", "coupon_template"
    )
    if actor.store_ids is not None:
        rows = rows.filter(
            Q(card__store_id__in=actor.store_ids)
            | Q(card__isnull=True, referrer__home_store_id__in=actor.store_ids)
        )
    if member_id is not None:
        rows = rows.filter(referrer_id=member_id)
    return rows.order_by("-created_at", "-pk")


def payouts(*, actor: Actor, member_id: int | None = None) -> QuerySet[ReferralPayout]:
    """Commission paid out, newest first (a store's staff: paid at their stores)."""
    require(actor, Perm.MEMBER_VIEW)
    rows = ReferralPayout.objects.select_related("beneficiary", "card", "paid_by")
    if actor.store_ids is not None:
        rows = rows.filter(store_id__in=actor.store_ids)
    if member_id is not None:
        rows = rows.filter(beneficiary_id=member_id)
    return rows.order_by("-created_at", "-pk")
