"""Tier endpoints: the tier ladder, and moving a member by hand."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Router

from huiyuan.api.auth import actor_of
from huiyuan.api.idempotent import run_keyed
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.money import OptionalIdempotencyKey
from huiyuan.api.schemas.tiers import MemberTierOut, TierMoveIn, TierOut
from huiyuan.tiers import selectors, services
from huiyuan.tiers.models import Tier

router = Router(tags=["tiers"])

MemberId = Path(..., ge=1, le=MAX_ID, description="Member id.")


@router.get("/tiers", response={200: list[TierOut], **ERRORS}, summary="The tier ladder")
def tier_list(request: HttpRequest) -> list[Tier]:
    return selectors.tier_list()


@router.post(
    "/members/{int:member_id}/tier",
    response={200: MemberTierOut, **ERRORS},
    summary="Move a member to a tier by hand",
    description="Sets the member's tier. Each call that is not a replay records a move in the "
    "member's history: send an `Idempotency-Key` (optional here) so that a retry answers the "
    "first result and records nothing more.",
)
def tier_move(
    request: HttpRequest,
    payload: TierMoveIn,
    member_id: int = MemberId,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> dict[str, Any]:
    tier = run_keyed(
        request,
        idempotency_key,
        "tier.move",
        {"member_id": member_id, **payload.dict()},
        lambda: services.tier_move(
            actor=actor_of(request),
            member_id=member_id,
            tier_id=payload.tier_id,
            reason=payload.reason,
            protected_until=payload.protected_until,
        ),
        lambda pk: Tier.objects.get(pk=pk),
    )
    return {"member_id": member_id, "tier": tier, "protected_until": payload.protected_until}
