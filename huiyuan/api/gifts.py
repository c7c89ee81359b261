"""Gift endpoints (积分礼品): the catalog and its stock, redemptions, batch distributions.

Every write takes an ``Idempotency-Key``; a replay returns the first result.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.gifts import (
    CancelIn,
    DistributionIn,
    DistributionOut,
    GiftEditIn,
    GiftIn,
    GiftOut,
    GiftQuery,
    GiftStatusIn,
    MovementOut,
    NoFieldsIn,
    RedeemIn,
    RedemptionOut,
    RedemptionPageOut,
    RedemptionQuery,
    RestockIn,
)
from huiyuan.api.schemas.money import IdempotencyKey, balances_out, require_key
from huiyuan.cards.selectors import card_balances_after
from huiyuan.gifts import selectors, services
from huiyuan.gifts.models import Distribution, Gift, GiftMovement, Redemption

router = Router(tags=["gifts"])

GiftId = Path(..., ge=1, le=MAX_ID, description="Gift id.")
RedemptionId = Path(..., ge=1, le=MAX_ID, description="Redemption id.")
DistributionId = Path(..., ge=1, le=MAX_ID, description="Distribution id.")
RUN_SECONDS = 10.0


def redemption_out(row: Redemption, *, with_balances: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        f: getattr(row, f)
        for f in (
            "id",
            "gift_id",
            "member_id",
            "card_id",
            "store_id",
            "channel",
            "quantity",
            "points",
            "cash_fen",
            "cash_method",
            "status",
            "operation_id",
            "cancel_operation_id",
            "created_at",
            "picked_up_at",
            "cancelled_at",
        )
    }
    out["gift_name"] = row.gift.name
    if with_balances and row.card_id:
        operation_id = row.cancel_operation_id or row.operation_id
        if operation_id:
            out["balances_after"] = balances_out(
                card_balances_after(card_id=row.card_id, operation_id=operation_id)
            )
    return out


def _distribution_out(row: Distribution) -> dict[str, Any]:
    return {
        **{
            f: getattr(row, f)
            for f in (
                "id",
                "gift_id",
                "reason",
                "status",
                "total",
                "given",
                "skipped",
                "created_at",
                "finished_at",
            )
        },
        "percent": row.percent,
    }


def _input(payload: GiftIn | GiftEditIn) -> services.GiftInput:
    return services.GiftInput(
        code=payload.code,
        name=payload.name,
        points_price=payload.points_price,
        cash_fen=payload.cash_fen,
        description=payload.description,
    )


@router.get("/gifts", response={200: list[GiftOut], **ERRORS}, summary="The gift catalog")
def gift_list(request: HttpRequest, filters: Query[GiftQuery]) -> list[Gift]:
    return list(
        selectors.gift_list(actor=actor_of(request), query=filters.q, status=filters.status or "")[
            :500
        ]
    )


@router.post("/gifts", response={201: GiftOut, **ERRORS}, summary="Add a gift (with its stock)")
def gift_create(
    request: HttpRequest, payload: GiftIn, idempotency_key: str = IdempotencyKey
) -> Status[Gift]:
    gift = services.gift_create(
        actor=actor_of(request),
        data=_input(payload),
        stock=payload.stock,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, gift)


@router.get("/gifts/{int:gift_id}", response={200: GiftOut, **ERRORS}, summary="One gift")
def gift_get(request: HttpRequest, gift_id: int = GiftId) -> Gift:
    return selectors.gift_get(actor=actor_of(request), gift_id=gift_id)


@router.put("/gifts/{int:gift_id}", response={200: GiftOut, **ERRORS}, summary="Edit a gift")
def gift_update(
    request: HttpRequest,
    payload: GiftEditIn,
    gift_id: int = GiftId,
    idempotency_key: str = IdempotencyKey,
) -> Gift:
    return services.gift_update(
        actor=actor_of(request),
        gift_id=gift_id,
        data=_input(payload),
        idempotency_key=require_key(idempotency_key),
    )


@router.post(
    "/gifts/{int:gift_id}/status",
    response={200: GiftOut, **ERRORS},
    summary="Delist (下架) or put back on offer (上架)",
)
def gift_status(
    request: HttpRequest,
    payload: GiftStatusIn,
    gift_id: int = GiftId,
    idempotency_key: str = IdempotencyKey,
) -> Gift:
    return services.gift_set_status(
        actor=actor_of(request),
        gift_id=gift_id,
        status=payload.status,
        idempotency_key=require_key(idempotency_key),
    )


@router.post(
    "/gifts/{int:gift_id}/restock",
    response={201: MovementOut, **ERRORS},
    summary="Stock in (入库) or write off (报损)",
)
def gift_restock(
    request: HttpRequest,
    payload: RestockIn,
    gift_id: int = GiftId,
    idempotency_key: str = IdempotencyKey,
) -> Status[GiftMovement]:
    movement = services.gift_restock(
        actor=actor_of(request),
        gift_id=gift_id,
        delta=payload.delta,
        reason=payload.reason,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, movement)


@router.get(
    "/gifts/{int:gift_id}/movements",
    response={200: list[MovementOut], **ERRORS},
    summary="Stock movements of a gift, newest first (at most 500)",
)
def gift_movements(request: HttpRequest, gift_id: int = GiftId) -> list[GiftMovement]:
    return list(selectors.gift_movements(actor=actor_of(request), gift_id=gift_id)[:500])


@router.post(
    "/gifts/redemptions",
    response={201: RedemptionOut, **ERRORS},
    summary="Redeem a gift for points (积分兑换)",
)
def gift_redeem(
    request: HttpRequest, payload: RedeemIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    row = services.gift_redeem(
        actor=actor,
        card_id=payload.card_id,
        gift_id=payload.gift_id,
        quantity=payload.quantity,
        cash_method=payload.cash_method or "",
        channel=Redemption.Channel.COUNTER if actor.staff else Redemption.Channel.API,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, redemption_out(row, with_balances=True))


@router.get(
    "/gifts/redemptions",
    response={200: RedemptionPageOut, **ERRORS},
    summary="Redemption records (兑换记录)",
)
def redemption_list(request: HttpRequest, filters: Query[RedemptionQuery]) -> dict[str, Any]:
    qs = selectors.redemption_list(
        actor=actor_of(request),
        filters=selectors.RedemptionFilters(
            store_id=filters.store_id,
            member_id=filters.member_id,
            card_id=filters.card_id,
            gift_id=filters.gift_id,
            status=filters.status or "",
            channel=filters.channel or "",
        ),
    )
    page = qs[filters.offset : filters.offset + filters.limit]
    return {
        "count": qs.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [redemption_out(r) for r in page],
    }


@router.get(
    "/gifts/redemptions/{int:redemption_id}",
    response={200: RedemptionOut, **ERRORS},
    summary="One redemption",
)
def redemption_get(request: HttpRequest, redemption_id: int = RedemptionId) -> dict[str, Any]:
    row = selectors.redemption_get(actor=actor_of(request), redemption_id=redemption_id)
    return redemption_out(row)


@router.post(
    "/gifts/redemptions/{int:redemption_id}/pick-up",
    response={200: RedemptionOut, **ERRORS},
    summary="Hand the gift over (已领取)",
)
def redemption_pick_up(
    request: HttpRequest,
    payload: NoFieldsIn,
    redemption_id: int = RedemptionId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    row = services.redemption_pick_up(
        actor=actor_of(request),
        redemption_id=redemption_id,
        idempotency_key=require_key(idempotency_key),
    )
    return redemption_out(row)


@router.post(
    "/gifts/redemptions/{int:redemption_id}/cancel",
    response={200: RedemptionOut, **ERRORS},
    summary="Cancel a redemption: points back to their lots, stock back",
)
def redemption_cancel(
    request: HttpRequest,
    payload: CancelIn,
    redemption_id: int = RedemptionId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    row = services.redemption_cancel(
        actor=actor_of(request),
        redemption_id=redemption_id,
        reason=payload.reason,
        idempotency_key=require_key(idempotency_key),
    )
    return redemption_out(row, with_balances=True)


@router.post(
    "/gifts/distributions",
    response={201: DistributionOut, **ERRORS},
    summary="Give a gift to a member list (free; each member once); runs for up to 10 s",
)
def distribution_create(
    request: HttpRequest, payload: DistributionIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    batch = services.distribution_create(
        actor=actor,
        gift_id=payload.gift_id,
        member_ids=list(payload.member_ids),
        reason=payload.reason,
        idempotency_key=require_key(idempotency_key),
    )
    batch = services.distribution_run(
        actor=actor, distribution_id=batch.pk, max_seconds=RUN_SECONDS
    )
    return Status(201, _distribution_out(batch))


@router.get(
    "/gifts/distributions/{int:distribution_id}",
    response={200: DistributionOut, **ERRORS},
    summary="A distribution's progress",
)
def distribution_get(request: HttpRequest, distribution_id: int = DistributionId) -> dict[str, Any]:
    row = selectors.distribution_get(actor=actor_of(request), distribution_id=distribution_id)
    return _distribution_out(row)


@router.post(
    "/gifts/distributions/{int:distribution_id}/run",
    response={200: DistributionOut, **ERRORS},
    summary="Continue a distribution (for up to 10 s); lines already applied are skipped",
)
def distribution_run(
    request: HttpRequest,
    payload: NoFieldsIn,
    distribution_id: int = DistributionId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    require_key(idempotency_key)
    batch = services.distribution_run(
        actor=actor_of(request), distribution_id=distribution_id, max_seconds=RUN_SECONDS
    )
    return _distribution_out(batch)
