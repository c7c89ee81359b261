"""Points endpoints: adjust a card's points or revoke a grant (Idempotency-Key), publish and
try earn rules."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.idempotent import run_keyed
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.money import (
    IdempotencyKey,
    OptionalIdempotencyKey,
    balances_out,
    require_key,
)
from huiyuan.api.schemas.points import (
    DryRunIn,
    DryRunOut,
    EarnRuleIn,
    EarnRuleOut,
    EarnRuleQuery,
    PointsAdjustIn,
    PointsAdjustOut,
    PointsRevokeIn,
)
from huiyuan.cards.selectors import card_balances_after
from huiyuan.points import selectors, services
from huiyuan.points.models import EarnRule
from huiyuan.points.rules import EarnContext

router = Router(tags=["points"])

CardId = Path(..., ge=1, le=MAX_ID, description="Card id.")


@router.post(
    "/cards/{int:card_id}/points/adjust",
    response={201: PointsAdjustOut, **ERRORS},
    summary="Add or remove points by hand",
)
def points_adjust(
    request: HttpRequest,
    payload: PointsAdjustIn,
    card_id: int = CardId,
    idempotency_key: str = IdempotencyKey,
) -> Status[dict[str, Any]]:
    operation = services.points_adjust(
        actor=actor_of(request),
        card_id=card_id,
        delta=payload.delta,
        reason=payload.reason,
        idempotency_key=require_key(idempotency_key),
    )
    balances = card_balances_after(card_id=card_id, operation_id=operation.pk)
    return Status(
        201,
        {
            "operation_id": operation.pk,
            "card_id": operation.card_id,
            "delta": operation.details["delta"],
            "reason": operation.memo,
            "created_at": operation.created_at,
            "balances_after": balances_out(balances),
        },
    )


@router.post(
    "/cards/{int:card_id}/points/revoke",
    response={201: PointsAdjustOut, **ERRORS},
    summary="Revoke a manual points grant (takes back exactly its lot)",
)
def points_revoke(
    request: HttpRequest,
    payload: PointsRevokeIn,
    card_id: int = CardId,
    idempotency_key: str = IdempotencyKey,
) -> Status[dict[str, Any]]:
    operation = services.points_revoke(
        actor=actor_of(request),
        operation_id=payload.operation_id,
        reason=payload.reason,
        card_id=card_id,
        idempotency_key=require_key(idempotency_key),
    )
    balances = card_balances_after(card_id=card_id, operation_id=operation.pk)
    return Status(
        201,
        {
            "operation_id": operation.pk,
            "card_id": operation.card_id,
            "delta": -sum(t.amount for t in operation.transfers.all()),
            "reason": operation.memo,
            "created_at": operation.created_at,
            "balances_after": balances_out(balances),
        },
    )


@router.get("/points/rules", response={200: list[EarnRuleOut], **ERRORS}, summary="Earn rules")
def earn_rule_list(request: HttpRequest, filters: Query[EarnRuleQuery]) -> list[EarnRule]:
    return selectors.earn_rules(current_only=filters.current)


@router.post(
    "/points/rules",
    response={201: EarnRuleOut, **ERRORS},
    summary="Publish an earn rule or a new version of one",
)
def earn_rule_publish(
    request: HttpRequest,
    payload: EarnRuleIn,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> Status[EarnRule]:
    rule = run_keyed(
        request,
        idempotency_key,
        "points.rule_publish",
        payload.dict(),
        lambda: services.earn_rule_publish(
            actor=actor_of(request),
            code=payload.code,
            effective_from=payload.effective_from,
            **payload.fields(),
        ),
        lambda pk: EarnRule.objects.get(pk=pk),
    )
    return Status(201, rule)


@router.post(
    "/points/dry-run",
    response={200: DryRunOut, **ERRORS},
    summary="What the rules in effect would give (nothing is written)",
)
def points_dry_run(request: HttpRequest, payload: DryRunIn) -> dict[str, Any]:
    result = services.points_dry_run(
        actor=actor_of(request),
        context=EarnContext(
            amount_fen=payload.amount_fen,
            at=payload.at or timezone.now(),
            store_id=payload.store_id,
            category=payload.category,
            tier_code=payload.tier_code,
            tier_multiplier_pct=payload.tier_multiplier_pct,
            is_birthday=payload.is_birthday,
            earned_today=payload.earned_today,
        ),
    )
    return result.as_dict()
