"""Promotions (促销), the holiday calendar and the joining policy (自动入会, M2).

Reads need ``catalog.view`` (the joining policy: ``member.view``); writes check their
permission in the service (``catalog.manage``; the joining policy ``member.configure``).
Publishing takes an ``Idempotency-Key``: a retry returns the version the first request
published and never publishes another. Ending, a holiday and the joining policy are set
to a value, so a retry changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.money import IdempotencyKey, require_key
from huiyuan.api.schemas.promotions import (
    HolidayIn,
    HolidayOut,
    HolidayPath,
    HolidayQuery,
    JoiningPolicyIn,
    JoiningPolicyOut,
    PromotionDetailOut,
    PromotionEndIn,
    PromotionIn,
    PromotionListQuery,
    PromotionOut,
)
from huiyuan.checkout import selectors
from huiyuan.checkout.models import Holiday, JoiningPolicy, Promotion
from huiyuan.checkout.services.joining import joining_policy, joining_policy_set
from huiyuan.checkout.services.promotions import (
    PromotionInput,
    holiday_delete,
    holiday_set,
    promotion_end,
    promotion_publish,
)
from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Perm, require

router = Router(tags=["promotions"])

PromotionId = Path(..., ge=1, le=MAX_ID, description="Promotion version id.")


def _out(row: Promotion, now: dt.datetime) -> dict[str, Any]:
    out = {
        name: getattr(row, name)
        for name in (
            "id", "code", "version", "name", "kind", "value", "product_ids", "category_codes",
            "store_ids", "weekdays", "on_holidays", "effective_from", "effective_to",
            "priority", "stacking", "created_at",
        )
    }  # fmt: skip
    out["date_ranges"] = [{"first": a, "last": b} for a, b in row.date_ranges or ()]
    out["state"] = selectors.promotion_state(row, now)
    return out


def _found(request: HttpRequest, promotion_id: int) -> Promotion:
    row = selectors.promotion_get(actor=actor_of(request), promotion_id=promotion_id)
    if row is None:
        raise NotFound(_("Unknown promotion."), code="promotion_not_found")
    return row


# --------------------------------------------------------------------------- promotions


@router.get(
    "/promotions",
    response={200: list[PromotionOut], **ERRORS},
    summary="Promotion versions: all, one code's, or those in force at a moment",
)
def promotion_list(
    request: HttpRequest, filters: Query[PromotionListQuery]
) -> list[dict[str, Any]]:
    rows = selectors.promotion_versions(
        actor=actor_of(request), code=filters.code or "", active_at=filters.active_at
    )
    now = timezone.now()
    return [_out(row, now) for row in rows]


@router.post(
    "/promotions",
    response={201: PromotionOut, **ERRORS},
    summary="Publish a promotion, or the next version of its code",
)
def promotion_create(
    request: HttpRequest, payload: PromotionIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    row = promotion_publish(
        actor=actor_of(request),
        data=PromotionInput(
            code=payload.code,
            name=payload.name,
            kind=payload.kind,
            value=payload.value,
            product_ids=tuple(payload.product_ids),
            category_codes=tuple(payload.category_codes),
            store_ids=tuple(payload.store_ids),
            weekdays=tuple(payload.weekdays),
            on_holidays=payload.on_holidays,
            date_ranges=tuple((r.first, r.last) for r in payload.date_ranges),
            effective_to=payload.effective_to,
            priority=payload.priority,
            stacking=payload.stacking,
        ),
        effective_from=payload.effective_from,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _out(row, timezone.now()))


@router.get(
    "/promotions/{int:promotion_id}",
    response={200: PromotionDetailOut, **ERRORS},
    summary="One promotion version, with every version of its code",
)
def promotion_detail(request: HttpRequest, promotion_id: int = PromotionId) -> dict[str, Any]:
    row = _found(request, promotion_id)
    now = timezone.now()
    versions = selectors.promotion_versions(actor=actor_of(request), code=row.code)
    return {**_out(row, now), "versions": [_out(v, now) for v in versions]}


@router.post(
    "/promotions/{int:promotion_id}/end",
    response={200: PromotionOut, **ERRORS},
    summary="End the current version of this promotion's code (now, or at a later moment)",
)
def promotion_stop(
    request: HttpRequest, payload: PromotionEndIn, promotion_id: int = PromotionId
) -> dict[str, Any]:
    row = _found(request, promotion_id)
    ended = promotion_end(actor=actor_of(request), code=row.code, at=payload.at)
    return _out(ended, timezone.now())


# ----------------------------------------------------------------------------- holidays


@router.get(
    "/holidays",
    response={200: list[HolidayOut], **ERRORS},
    summary="The holiday calendar (法定节假日), by date",
)
def holiday_list(request: HttpRequest, filters: Query[HolidayQuery]) -> list[Holiday]:
    return selectors.holiday_list(actor=actor_of(request), year=filters.year)


@router.put(
    "/holidays/{day}",
    response={200: HolidayOut, **ERRORS},
    summary="Mark a date as a holiday (or rename it)",
)
def holiday_put(request: HttpRequest, path: Path[HolidayPath], payload: HolidayIn) -> Holiday:
    return holiday_set(actor=actor_of(request), date=path.day, name=payload.name)


@router.delete(
    "/holidays/{day}",
    response={200: HolidayOut, **ERRORS},
    summary="Take a date off the holiday calendar (answers with what was removed)",
)
def holiday_remove(request: HttpRequest, path: Path[HolidayPath]) -> dict[str, Any]:
    name = Holiday.objects.filter(date=path.day).values_list("name", flat=True).first()
    holiday_delete(actor=actor_of(request), date=path.day)
    return {"date": path.day, "name": name or ""}


# ------------------------------------------------------------------------ joining policy


def _policy(policy: JoiningPolicy) -> dict[str, Any]:
    card_type = policy.card_type if policy.card_type_id else None
    return {
        "mode": policy.mode,
        "threshold_fen": policy.threshold_fen,
        "fee_fen": policy.fee_fen,
        "card_type": (
            {"id": card_type.pk, "code": card_type.code, "name": card_type.name}
            if card_type
            else None
        ),
    }


@router.get(
    "/joining-policy",
    response={200: JoiningPolicyOut, **ERRORS},
    summary="When a walk-in customer becomes a member (自动入会)",
)
def joining_policy_get(request: HttpRequest) -> dict[str, Any]:
    require(actor_of(request), Perm.MEMBER_VIEW)
    return _policy(joining_policy())


@router.put(
    "/joining-policy",
    response={200: JoiningPolicyOut, **ERRORS},
    summary="Change the joining policy (audited)",
)
def joining_policy_put(request: HttpRequest, payload: JoiningPolicyIn) -> dict[str, Any]:
    policy = joining_policy_set(
        actor=actor_of(request),
        mode=payload.mode,
        threshold_fen=payload.threshold_fen,
        fee_fen=payload.fee_fen,
        card_type_id=payload.card_type_id,
    )
    return _policy(policy)
