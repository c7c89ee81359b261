"""Benefit-card endpoints (付费会员 / 权益卡): plans, a member's cards, upgrade and refund by
the declared rules (docs/benefits.md). A card is sold or renewed as a product through
``POST /sales``. Every write takes an Idempotency-Key."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.benefits import (
    BenefitOut,
    BenefitPlanIn,
    BenefitPlanOut,
    BenefitRefundIn,
    ChangeOut,
    UnusedQuoteOut,
    UpgradeIn,
    UpgradeQuery,
    UpgradeQuoteOut,
)
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.money import IdempotencyKey, require_key
from huiyuan.benefits import plans, selectors, services
from huiyuan.benefits.models import BenefitChange, BenefitPlan, MemberBenefit
from huiyuan.core.clock import local_date
from huiyuan.core.errors import ValidationFailed

router = Router(tags=["benefits"])

PlanId = Path(..., ge=1, le=MAX_ID, description="Plan id.")
BenefitId = Path(..., ge=1, le=MAX_ID, description="Benefit card id.")
MemberId = Path(..., ge=1, le=MAX_ID, description="Member id.")


def _plan(plan: BenefitPlan) -> dict[str, Any]:
    return {
        **{
            f: getattr(plan, f)
            for f in (
                "id",
                "product_id",
                "code",
                "name",
                "term",
                "rank",
                "paid_permille",
                "category_discounts",
                "points_multiplier_pct",
                "member_prices",
                "free_plan_id",
                "priority_text",
                "refund_fee_bp",
                "active",
                "version",
            )
        },
        "price_fen": plan.product.list_price_fen,
    }


def _benefit(benefit: MemberBenefit) -> dict[str, Any]:
    return {
        **{
            f: getattr(benefit, f)
            for f in (
                "id",
                "code",
                "plan_id",
                "name",
                "term",
                "rank",
                "status",
                "member_id",
                "card_id",
                "store_id",
                "sale_id",
                "package_id",
                "paid_fen",
                "valid_from",
                "valid_until",
                "created_at",
            )
        },
        "privileges": dict(benefit.terms),
    }


def _change(change: BenefitChange) -> dict[str, Any]:
    return {
        f: getattr(change, f)
        for f in (
            "id",
            "benefit_id",
            "kind",
            "target_id",
            "sale_id",
            "store_id",
            "method",
            "until_before",
            "until_after",
            "paid_fen",
            "total_days",
            "unused_days",
            "gross_fen",
            "fee_fen",
            "amount_fen",
            "due_fen",
            "reason",
            "created_at",
        )
    }


def _plan_input(payload: BenefitPlanIn) -> plans.PlanInput:
    body = payload.dict()
    prices = body.pop("member_prices")
    member_prices: dict[int, int] = {}
    for key, value in prices.items():
        if not str(key).isdigit() or len(str(key)) > 18:
            raise ValidationFailed(
                _("Give each member price in fen."), code="invalid_price", field="member_prices"
            )
        member_prices[int(key)] = value
    return plans.PlanInput(**body, member_prices=member_prices)


@router.get(
    "/benefits/plans", response={200: list[BenefitPlanOut], **ERRORS}, summary="Benefit plans"
)
def plan_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_plan(p) for p in selectors.plan_list(actor=actor_of(request))]


@router.post(
    "/benefits/plans", response={201: BenefitPlanOut, **ERRORS}, summary="Create a benefit plan"
)
def plan_create(
    request: HttpRequest, payload: BenefitPlanIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    plan = plans.plan_create(
        actor=actor_of(request),
        data=_plan_input(payload),
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _plan(BenefitPlan.objects.select_related("product").get(pk=plan.pk)))


@router.put(
    "/benefits/plans/{int:plan_id}", response={200: BenefitPlanOut, **ERRORS}, summary="Edit a plan"
)
def plan_update(
    request: HttpRequest,
    payload: BenefitPlanIn,
    plan_id: int = PlanId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    require_key(idempotency_key)
    plan = plans.plan_update(actor=actor_of(request), plan_id=plan_id, data=_plan_input(payload))
    return _plan(BenefitPlan.objects.select_related("product").get(pk=plan.pk))


@router.get(
    "/members/{int:member_id}/benefits",
    response={200: list[BenefitOut], **ERRORS},
    summary="A member's benefit cards, the active one first",
)
def member_benefits(request: HttpRequest, member_id: int = MemberId) -> list[dict[str, Any]]:
    rows = selectors.member_benefits(actor=actor_of(request), member_id=member_id)
    return [_benefit(b) for b in rows]


@router.get(
    "/benefits/{int:benefit_id}", response={200: BenefitOut, **ERRORS}, summary="A benefit card"
)
def benefit_detail(request: HttpRequest, benefit_id: int = BenefitId) -> dict[str, Any]:
    return _benefit(selectors.benefit_get(actor=actor_of(request), benefit_id=benefit_id))


@router.get(
    "/benefits/{int:benefit_id}/changes",
    response={200: list[ChangeOut], **ERRORS},
    summary="A card's renewals, upgrade and refund",
)
def benefit_changes(request: HttpRequest, benefit_id: int = BenefitId) -> list[dict[str, Any]]:
    actor = actor_of(request)
    selectors.benefit_get(actor=actor, benefit_id=benefit_id)
    return [_change(c) for c in selectors.benefit_changes(actor=actor, benefit_id=benefit_id)]


@router.get(
    "/benefits/{int:benefit_id}/upgrade-quote",
    response={200: UpgradeQuoteOut, **ERRORS},
    summary="What an upgrade to a plan would credit and cost today",
)
def upgrade_quote(
    request: HttpRequest, filters: Query[UpgradeQuery], benefit_id: int = BenefitId
) -> dict[str, int]:
    actor = actor_of(request)
    benefit = selectors.benefit_get(actor=actor, benefit_id=benefit_id)
    plan = selectors.plan_get(actor=actor, plan_id=filters.plan_id)
    quote, price, due = services.upgrade_quote(benefit, plan, local_date(timezone.now()))
    return {**quote.__dict__, "price_fen": price, "due_fen": due}


@router.post(
    "/benefits/{int:benefit_id}/upgrade",
    response={201: ChangeOut, **ERRORS},
    summary="Upgrade, the unused part credited (升级)",
)
def benefit_upgrade(
    request: HttpRequest,
    payload: UpgradeIn,
    benefit_id: int = BenefitId,
    idempotency_key: str = IdempotencyKey,
) -> Status[dict[str, Any]]:
    change = services.benefit_upgrade(
        actor=actor_of(request),
        benefit_id=benefit_id,
        plan_id=payload.plan_id,
        method=payload.method,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _change(change))


@router.get(
    "/benefits/{int:benefit_id}/refund-quote",
    response={200: UnusedQuoteOut, **ERRORS},
    summary="What a refund of the unused part would pay today",
)
def refund_quote(request: HttpRequest, benefit_id: int = BenefitId) -> dict[str, int]:
    benefit = selectors.benefit_get(actor=actor_of(request), benefit_id=benefit_id)
    return dict(services.refund_preview(benefit, local_date(timezone.now())).__dict__)


@router.post(
    "/benefits/{int:benefit_id}/refund",
    response={201: ChangeOut, **ERRORS},
    summary="Refund the unused part (退卡)",
)
def benefit_refund(
    request: HttpRequest,
    payload: BenefitRefundIn,
    benefit_id: int = BenefitId,
    idempotency_key: str = IdempotencyKey,
) -> Status[dict[str, Any]]:
    change = services.benefit_refund(
        actor=actor_of(request),
        benefit_id=benefit_id,
        method=payload.method,
        reason=payload.reason,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _change(change))
