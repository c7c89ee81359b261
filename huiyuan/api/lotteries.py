"""Lottery endpoints (积分抽奖): set up, start and end, draw, the draw log, verify a draw."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.gifts import (
    DrawIn,
    DrawOut,
    DrawPageOut,
    DrawQuery,
    DrawVerifyOut,
    LotteryIn,
    LotteryOut,
    LotteryStatusIn,
)
from huiyuan.api.schemas.money import IdempotencyKey, balances_out, require_key
from huiyuan.cards.selectors import card_balances_after
from huiyuan.gifts import selectors, services
from huiyuan.gifts.models import Draw, Lottery

router = Router(tags=["lotteries"])

LotteryId = Path(..., ge=1, le=MAX_ID, description="Lottery id.")
DrawId = Path(..., ge=1, le=MAX_ID, description="Draw id.")


def lottery_out(row: Lottery) -> dict[str, Any]:
    return {
        **{
            f: getattr(row, f)
            for f in ("id", "name", "cost_points", "status", "commitment", "created_at", "ended_at")
        },
        "secret": row.secret_revealed,
        "prizes": list(row.prizes.all()),
    }


def draw_out(row: Draw, *, with_balances: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        **{
            f: getattr(row, f)
            for f in (
                "id",
                "lottery_id",
                "member_id",
                "card_id",
                "seed",
                "roll",
                "weights",
                "out_of_stock",
                "prize_id",
                "cost_points",
                "points_won",
                "operation_id",
                "redemption_id",
                "created_at",
            )
        },
        "picked_prize_id": row.picked_id,
        "prize_kind": row.prize.kind if row.prize else "nothing",
        "prize_name": row.prize.name if row.prize else "",
    }
    if with_balances and row.operation_id:
        out["balances_after"] = balances_out(
            card_balances_after(card_id=row.card_id, operation_id=row.operation_id)
        )
    return out


@router.get("/lotteries", response={200: list[LotteryOut], **ERRORS}, summary="Lotteries")
def lottery_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [lottery_out(r) for r in selectors.lottery_list(actor=actor_of(request))[:200]]


@router.post(
    "/lotteries",
    response={201: LotteryOut, **ERRORS},
    summary="Set up a lottery (draft) with its prizes in declared order",
)
def lottery_create(
    request: HttpRequest, payload: LotteryIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    lottery = services.lottery_create(
        actor=actor_of(request),
        name=payload.name,
        cost_points=payload.cost_points,
        prizes=[
            services.PrizeInput(
                kind=p.kind,
                weight=p.weight,
                name=p.name,
                gift_id=getattr(p, "gift_id", None),
                points=getattr(p, "points", 0),
                stock=p.stock,
            )
            for p in payload.prizes
        ],
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, lottery_out(lottery))


@router.get(
    "/lotteries/{int:lottery_id}", response={200: LotteryOut, **ERRORS}, summary="One lottery"
)
def lottery_get(request: HttpRequest, lottery_id: int = LotteryId) -> dict[str, Any]:
    return lottery_out(selectors.lottery_get(actor=actor_of(request), lottery_id=lottery_id))


@router.post(
    "/lotteries/{int:lottery_id}/status",
    response={200: LotteryOut, **ERRORS},
    summary="Start (active) or end (ended: the secret is published)",
)
def lottery_status(
    request: HttpRequest,
    payload: LotteryStatusIn,
    lottery_id: int = LotteryId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    services.lottery_set_status(
        actor=actor_of(request),
        lottery_id=lottery_id,
        status=payload.status,
        idempotency_key=require_key(idempotency_key),
    )
    return lottery_out(selectors.lottery_get(actor=actor_of(request), lottery_id=lottery_id))


@router.post(
    "/lotteries/{int:lottery_id}/draws",
    response={201: DrawOut, **ERRORS},
    summary="Draw once for a card (pays the cost in points)",
)
def lottery_draw(
    request: HttpRequest,
    payload: DrawIn,
    lottery_id: int = LotteryId,
    idempotency_key: str = IdempotencyKey,
) -> Status[dict[str, Any]]:
    draw = services.lottery_draw(
        actor=actor_of(request),
        lottery_id=lottery_id,
        card_id=payload.card_id,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, draw_out(draw, with_balances=True))


@router.get(
    "/lotteries/{int:lottery_id}/draws",
    response={200: DrawPageOut, **ERRORS},
    summary="The draw log, newest first",
)
def draw_list(
    request: HttpRequest, filters: Query[DrawQuery], lottery_id: int = LotteryId
) -> dict[str, Any]:
    qs = selectors.draw_list(
        actor=actor_of(request), lottery_id=lottery_id, member_id=filters.member_id
    )
    page = qs[filters.offset : filters.offset + filters.limit]
    return {
        "count": qs.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [draw_out(d) for d in page],
    }


@router.get(
    "/lotteries/draws/{int:draw_id}/verify",
    response={200: DrawVerifyOut, **ERRORS},
    summary="Recompute a draw from its seed and compare",
)
def draw_verify(request: HttpRequest, draw_id: int = DrawId) -> dict[str, Any]:
    draw = selectors.draw_get(actor=actor_of(request), draw_id=draw_id)
    check = services.draw_verify(draw)
    return {
        "ok": check.ok,
        "seed_ok": check.seed_ok,
        "picked_ok": check.picked_ok,
        "prize_ok": check.prize_ok,
        "seed": check.recomputed.seed,
        "roll": check.recomputed.roll,
        "picked_prize_id": check.recomputed.picked,
        "prize_id": check.recomputed.awarded,
    }
