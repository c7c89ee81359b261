"""Referral endpoints (推荐有礼): the policy, a member's code and figures, rewards and
commission, paying released commission out. Rewards and commission are written by event
subscribers, not by the API; a payout is a manager's command (``Idempotency-Key``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.money import IdempotencyKey, require_key
from huiyuan.api.schemas.referrals import (
    CommissionOut,
    CommissionOwedOut,
    CommissionQuery,
    MemberReferralOut,
    PayoutQuery,
    ReferralPayoutIn,
    ReferralPayoutOut,
    ReferralPolicyIn,
    ReferralPolicyOut,
    RewardOut,
)
from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Perm, require
from huiyuan.members.selectors import member_get
from huiyuan.referrals import payouts, selectors, services
from huiyuan.referrals.models import (
    ReferralCommission,
    ReferralPayout,
    ReferralPolicy,
    ReferralReward,
)

router = Router(tags=["referrals"])

MemberId = Path(..., ge=1, le=MAX_ID, description="Member id.")
PAGE = 500


def _policy(policy: ReferralPolicy) -> dict[str, Any]:
    return {
        "join_points": policy.join_points,
        "first_purchase_points": policy.first_purchase_points,
        "levels": policy.levels,
        "level1_bp": policy.level1_bp,
        "level2_bp": policy.level2_bp,
        "level3_bp": policy.level3_bp,
        "hold_days": policy.hold_days,
        "join_coupon_template_id": policy.join_coupon_template_id,
        "first_purchase_coupon_template_id": policy.first_purchase_coupon_template_id,
        "warnings": services.policy_warnings(policy),
    }


@router.get(
    "/referrals/policy", response={200: ReferralPolicyOut, **ERRORS}, summary="Referral terms"
)
def policy_get(request: HttpRequest) -> dict[str, Any]:
    require(actor_of(request), Perm.MEMBER_VIEW)
    return _policy(ReferralPolicy.current())


@router.put(
    "/referrals/policy",
    response={200: ReferralPolicyOut, **ERRORS},
    summary="Change the referral terms (levels: at most 3)",
)
def policy_put(
    request: HttpRequest, payload: ReferralPolicyIn, idempotency_key: str = IdempotencyKey
) -> dict[str, Any]:
    require_key(idempotency_key)
    policy = services.policy_update(
        actor=actor_of(request), data=services.PolicyInput(**payload.dict())
    )
    return _policy(policy)


@router.get(
    "/members/{int:member_id}/referral",
    response={200: MemberReferralOut, **ERRORS},
    summary="A member's referral code, joining link and figures",
)
def member_referral(request: HttpRequest, member_id: int = MemberId) -> dict[str, Any]:
    member = member_get(actor=actor_of(request), member_id=member_id)
    if member is None:
        raise NotFound(_("Member not found."), code="member_not_found")
    return {
        **services.member_summary(member),
        "join_token": services.referral_token(member),
        "referrer_id": member.referrer_id,
    }


@router.get(
    "/referrals/rewards",
    response={200: list[RewardOut], **ERRORS},
    summary="Referral rewards, newest first (at most 500)",
)
def reward_list(request: HttpRequest, filters: Query[CommissionQuery]) -> list[ReferralReward]:
    return list(selectors.rewards(actor=actor_of(request), member_id=filters.member_id)[:PAGE])


@router.get(
    "/referrals/commissions",
    response={200: list[CommissionOut], **ERRORS},
    summary="Referral commission, newest first (at most 500)",
)
def commission_list(
    request: HttpRequest, filters: Query[CommissionQuery]
) -> list[ReferralCommission]:
    rows = selectors.commissions(
        actor=actor_of(request), member_id=filters.member_id, status=filters.status
    )
    return list(rows[:PAGE])


@router.get(
    "/referrals/payouts/owed",
    response={200: list[CommissionOwedOut], **ERRORS},
    summary="Released commission not paid yet, per referrer (largest first, at most 500)",
)
def owed_list(request: HttpRequest) -> list[payouts.Owed]:
    return payouts.owed_by_member(actor=actor_of(request))[:PAGE]


@router.post(
    "/referrals/payouts",
    response={200: ReferralPayoutOut, **ERRORS},
    summary="Pay a referrer's released commission into stored value (bonus)",
)
def payout_create(
    request: HttpRequest, payload: ReferralPayoutIn, idempotency_key: str = IdempotencyKey
) -> ReferralPayout:
    require_key(idempotency_key)
    return payouts.commission_payout(
        actor=actor_of(request),
        member_id=payload.member_id,
        expected_fen=payload.expected_fen,
        idempotency_key=idempotency_key,
    )


@router.get(
    "/referrals/payouts",
    response={200: list[ReferralPayoutOut], **ERRORS},
    summary="Commission paid out, newest first (at most 500)",
)
def payout_list(request: HttpRequest, filters: Query[PayoutQuery]) -> list[ReferralPayout]:
    return list(selectors.payouts(actor=actor_of(request), member_id=filters.member_id)[:PAGE])
