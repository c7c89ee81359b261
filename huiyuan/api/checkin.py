"""Daily check-in endpoints (签到): check a member in, the settings, a member's streak."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.gifts import (
    CheckinIn,
    CheckinOut,
    CheckinPolicyIn,
    CheckinPolicyOut,
    StreakOut,
)
from huiyuan.api.schemas.money import IdempotencyKey, balances_out, require_key
from huiyuan.cards.selectors import card_balances_after
from huiyuan.checkin import selectors, services
from huiyuan.checkin.models import Checkin, CheckinPolicy
from huiyuan.core.permissions import Perm, require

router = Router(tags=["checkin"])

MemberId = Path(..., ge=1, le=MAX_ID, description="Member id.")


def _out(row: Checkin, *, with_balances: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        f: getattr(row, f)
        for f in (
            "id",
            "member_id",
            "card_id",
            "business_date",
            "streak",
            "points",
            "operation_id",
            "created_at",
        )
    }
    if with_balances and row.operation_id:
        out["balances_after"] = balances_out(
            card_balances_after(card_id=row.card_id, operation_id=row.operation_id)
        )
    return out


def _policy(p: CheckinPolicy) -> dict[str, Any]:
    return {"enabled": p.enabled, "rewards": p.rewards, "cycle_days": p.cycle_days}


@router.post(
    "/checkin",
    response={201: CheckinOut, **ERRORS},
    summary="Check the card's member in for today (once per local day)",
)
def checkin_record(
    request: HttpRequest, payload: CheckinIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    row = services.checkin_record(
        actor=actor_of(request),
        card_id=payload.card_id,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _out(row, with_balances=True))


@router.get(
    "/checkin/policy", response={200: CheckinPolicyOut, **ERRORS}, summary="Check-in settings"
)
def checkin_policy(request: HttpRequest) -> dict[str, Any]:
    require(actor_of(request), Perm.CHECKIN_RECORD)
    return _policy(CheckinPolicy.current())


@router.put(
    "/checkin/policy",
    response={200: CheckinPolicyOut, **ERRORS},
    summary="Change the check-in rewards and cycle",
)
def checkin_policy_update(
    request: HttpRequest, payload: CheckinPolicyIn, idempotency_key: str = IdempotencyKey
) -> dict[str, Any]:
    policy = services.checkin_policy_update(
        actor=actor_of(request),
        enabled=payload.enabled,
        rewards=[list(r) for r in payload.rewards],
        cycle_days=payload.cycle_days,
        idempotency_key=require_key(idempotency_key),
    )
    return _policy(policy)


@router.get(
    "/checkin/members/{int:member_id}",
    response={200: StreakOut, **ERRORS},
    summary="A member's streak and recent check-ins",
)
def member_streak(request: HttpRequest, member_id: int = MemberId) -> dict[str, Any]:
    require(actor_of(request), Perm.CHECKIN_RECORD)
    streak = selectors.member_streak(member_id)
    return {
        "member_id": member_id,
        "checked_in_today": streak.checked_in_today,
        "current": streak.current,
        "next_points": streak.next_points,
        "recent": [_out(c) for c in selectors.checkins_recent(member_id=member_id, limit=30)],
    }
