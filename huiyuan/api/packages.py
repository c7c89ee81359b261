"""Package endpoints (次卡, 期限卡, 课程卡): plans, a member's or a card's packages, one use
per visit, undo, refund. Every write takes an Idempotency-Key."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Path, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.money import IdempotencyKey, require_key
from huiyuan.api.schemas.packages import (
    PackageOut,
    PackagePlanIn,
    PackageRefundIn,
    PackageRefundOut,
    PlanOut,
    RefundQuoteOut,
    UndoIn,
    UseIn,
    UseOut,
)
from huiyuan.cards.models import Card
from huiyuan.core.errors import NotFound
from huiyuan.packages import plans, refunds, selectors, services
from huiyuan.packages.models import MemberPackage, PackagePlan, PackageRefund, PackageUse

router = Router(tags=["packages"])

PackageId = Path(..., ge=1, le=MAX_ID, description="Package id.")
PlanId = Path(..., ge=1, le=MAX_ID, description="Plan id.")
UseId = Path(..., ge=1, le=MAX_ID, description="Use id.")
MemberId = Path(..., ge=1, le=MAX_ID, description="Member id.")
CardId = Path(..., ge=1, le=MAX_ID, description="Card id.")
CodePath = Path(..., pattern=r"^[0-9A-Za-z]{1,20}$", description="The package's code.")


def _plan(plan: PackagePlan) -> dict[str, Any]:
    return {
        **{
            f: getattr(plan, f)
            for f in (
                "id",
                "product_id",
                "name",
                "kind",
                "validity_value",
                "validity_unit",
                "activation",
                "limit_count",
                "limit_period",
                "all_stores",
                "store_ids",
                "refund_fee_fen",
                "refund_fee_bp",
                "active",
            )
        },
        "items": [{"id": i.pk, "name": i.name, "uses": i.uses} for i in plan.items.all()],
    }


def _package(package: MemberPackage) -> dict[str, Any]:
    return {
        **{
            f: getattr(package, f)
            for f in (
                "id",
                "code",
                "plan_id",
                "kind",
                "name",
                "status",
                "member_id",
                "card_id",
                "store_id",
                "sale_id",
                "paid_fen",
                "valid_from",
                "valid_until",
                "limit_count",
                "limit_period",
                "all_stores",
                "store_ids",
                "created_at",
            )
        },
        "items": [
            {
                "id": i.pk,
                "name": i.name,
                "total": i.total,
                "used": i.used,
                "remaining": i.remaining,
            }
            for i in package.items.all()
        ],
    }


def _use(use: PackageUse) -> dict[str, Any]:
    return {
        **{
            f: getattr(use, f)
            for f in (
                "id",
                "package_id",
                "item_id",
                "kind",
                "reverses_id",
                "store_id",
                "business_date",
                "remaining_after",
                "note",
                "created_at",
            )
        },
        "undone": PackageUse.objects.filter(reverses_id=use.pk).exists(),
    }


def _refund(refund: PackageRefund) -> dict[str, Any]:
    return {
        f: getattr(refund, f)
        for f in (
            "id",
            "package_id",
            "store_id",
            "method",
            "reason",
            "created_at",
            "paid_fen",
            "total_units",
            "unused_units",
            "gross_fen",
            "fee_fen",
            "amount_fen",
        )
    }


def _plan_input(payload: PackagePlanIn) -> plans.PlanInput:
    return plans.PlanInput(
        **payload.dict(exclude={"items"}),
        items=[plans.ItemInput(name=i.name, uses=i.uses) for i in payload.items],
    )


@router.get("/packages/plans", response={200: list[PlanOut], **ERRORS}, summary="Plans")
def plan_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_plan(p) for p in selectors.plan_list(actor=actor_of(request))]


@router.post(
    "/packages/plans", response={201: PlanOut, **ERRORS}, summary="Create a plan (次卡方案)"
)
def plan_create(
    request: HttpRequest, payload: PackagePlanIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    plan = plans.plan_create(
        actor=actor_of(request),
        data=_plan_input(payload),
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _plan(plan))


@router.put(
    "/packages/plans/{int:plan_id}", response={200: PlanOut, **ERRORS}, summary="Edit a plan"
)
def plan_update(
    request: HttpRequest,
    payload: PackagePlanIn,
    plan_id: int = PlanId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    require_key(idempotency_key)
    plan = plans.plan_update(actor=actor_of(request), plan_id=plan_id, data=_plan_input(payload))
    return _plan(plan)


@router.get(
    "/members/{int:member_id}/packages",
    response={200: list[PackageOut], **ERRORS},
    summary="A member's packages",
)
def member_packages(request: HttpRequest, member_id: int = MemberId) -> list[dict[str, Any]]:
    rows = selectors.member_packages(actor=actor_of(request), member_id=member_id)
    return [_package(p) for p in rows]


@router.get(
    "/cards/{int:card_id}/packages",
    response={200: list[PackageOut], **ERRORS},
    summary="Active packages usable with a card",
)
def card_packages(request: HttpRequest, card_id: int = CardId) -> list[dict[str, Any]]:
    number = Card.objects.filter(pk=card_id).values_list("number", flat=True).first()
    if number is None:
        raise NotFound(_("Card not found."), code="card_not_found")
    _card, rows = selectors.card_packages(actor=actor_of(request), card_number=number)
    return [_package(p) for p in rows]


@router.get(
    "/packages/by-code/{code}",
    response={200: PackageOut, **ERRORS},
    summary="Find a package by its code",
)
def package_by_code(request: HttpRequest, code: str = CodePath) -> dict[str, Any]:
    return _package(selectors.package_by_code(actor=actor_of(request), code=code))


@router.get("/packages/{int:package_id}", response={200: PackageOut, **ERRORS}, summary="A package")
def package_detail(request: HttpRequest, package_id: int = PackageId) -> dict[str, Any]:
    return _package(selectors.package_get(actor=actor_of(request), package_id=package_id))


@router.get(
    "/packages/{int:package_id}/uses",
    response={200: list[UseOut], **ERRORS},
    summary="A package's uses and undos",
)
def package_uses(request: HttpRequest, package_id: int = PackageId) -> list[dict[str, Any]]:
    actor = actor_of(request)
    selectors.package_get(actor=actor, package_id=package_id)
    return [_use(u) for u in selectors.package_uses(actor=actor, package_id=package_id)]


@router.post(
    "/packages/{int:package_id}/use",
    response={201: UseOut, **ERRORS},
    summary="Use one visit (核销)",
)
def package_use(
    request: HttpRequest,
    payload: UseIn,
    package_id: int = PackageId,
    idempotency_key: str = IdempotencyKey,
) -> Status[dict[str, Any]]:
    use = services.package_use(
        actor=actor_of(request),
        package_id=package_id,
        item_id=payload.item_id,
        note=payload.note,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _use(use))


@router.post(
    "/packages/uses/{int:use_id}/undo",
    response={201: UseOut, **ERRORS},
    summary="Undo a use (manager)",
)
def package_use_undo(
    request: HttpRequest,
    payload: UndoIn,
    use_id: int = UseId,
    idempotency_key: str = IdempotencyKey,
) -> Status[dict[str, Any]]:
    undo = services.package_use_undo(
        actor=actor_of(request),
        use_id=use_id,
        reason=payload.reason,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _use(undo))


@router.get(
    "/packages/{int:package_id}/refund-quote",
    response={200: RefundQuoteOut, **ERRORS},
    summary="What a refund of the unused part would pay today",
)
def package_refund_quote(request: HttpRequest, package_id: int = PackageId) -> dict[str, int]:
    package = selectors.package_get(actor=actor_of(request), package_id=package_id)
    quote = refunds.refund_preview(package)
    return {
        "paid_fen": quote.paid_fen,
        "total_units": quote.total_units,
        "unused_units": quote.unused_units,
        "gross_fen": quote.gross_fen,
        "fee_fen": quote.fee_fen,
        "amount_fen": quote.amount_fen,
    }


@router.post(
    "/packages/{int:package_id}/refund",
    response={201: PackageRefundOut, **ERRORS},
    summary="Refund the unused part (退次卡)",
)
def package_refund(
    request: HttpRequest,
    payload: PackageRefundIn,
    package_id: int = PackageId,
    idempotency_key: str = IdempotencyKey,
) -> Status[dict[str, Any]]:
    refund = refunds.package_refund(
        actor=actor_of(request),
        package_id=package_id,
        method=payload.method,
        reason=payload.reason,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _refund(refund))
