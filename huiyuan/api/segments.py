"""Segment endpoints (An2, An3): saved segments, their counts and members, the RFM summary
and cut points, predictions (churn risk, lifetime value) and cross-sell pairs.

Segments are not money: writes take no Idempotency-Key (a repeated create is refused by
the unique name).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS, MAX_ID, In, QueryInt
from huiyuan.api.schemas.segments import (
    CountOut,
    CrossSellOut,
    DefinitionIn,
    DeletedOut,
    PredictionsOut,
    RefreshIn,
    RefreshOut,
    RfmSettingsIn,
    RfmSettingsOut,
    RfmSummaryOut,
    SegmentEditIn,
    SegmentIn,
    SegmentMembersOut,
    SegmentOut,
)
from huiyuan.core.permissions import Perm, require
from huiyuan.segments import selectors, services
from huiyuan.segments.models import Segment
from huiyuan.segments.services import RFM_FIELDS

router = Router(tags=["segments"])

SegmentId = Path(..., ge=1, le=MAX_ID, description="Segment id.")


class PageQuery(In):
    limit: QueryInt = Field(100, ge=1, le=500)
    offset: QueryInt = Field(0, ge=0, le=1_000_000)


class ListQuery(In):
    q: Annotated[str, Field(max_length=50)] = ""


class SegmentLevelQuery(In):
    level: Literal["", "item", "category"] = ""


@router.get("/segments", response={200: list[SegmentOut], **ERRORS}, summary="Saved segments")
def segment_list(request: HttpRequest, filters: Query[ListQuery]) -> list[Segment]:
    return list(selectors.segment_list(actor=actor_of(request), query=filters.q)[:500])


@router.post("/segments", response={201: SegmentOut, **ERRORS}, summary="Save a segment")
def segment_create(request: HttpRequest, payload: SegmentIn) -> Status[Segment]:
    segment = services.segment_create(
        actor=actor_of(request),
        name=payload.name,
        description=payload.description,
        definition=payload.definition,
        store_id=payload.store_id,
    )
    return Status(201, segment)


@router.post(
    "/segments/count",
    response={200: CountOut, **ERRORS},
    summary="How many members a filter matches now (before saving it)",
)
def definition_count(request: HttpRequest, payload: DefinitionIn) -> dict[str, int]:
    members = selectors.definition_count(
        actor=actor_of(request), definition=payload.definition, store_id=payload.store_id
    )
    return {"members": members}


@router.get(
    "/segments/{int:segment_id}", response={200: SegmentOut, **ERRORS}, summary="One segment"
)
def segment_get(request: HttpRequest, segment_id: int = SegmentId) -> Segment:
    return selectors.segment_get(actor=actor_of(request), segment_id=segment_id)


@router.patch(
    "/segments/{int:segment_id}", response={200: SegmentOut, **ERRORS}, summary="Edit a segment"
)
def segment_update(
    request: HttpRequest, payload: SegmentEditIn, segment_id: int = SegmentId
) -> Segment:
    return services.segment_update(
        actor=actor_of(request),
        segment_id=segment_id,
        name=payload.name,
        description=payload.description,
        definition=payload.definition,
    )


@router.delete(
    "/segments/{int:segment_id}",
    response={200: DeletedOut, **ERRORS},
    summary="Delete a segment",
)
def segment_delete(request: HttpRequest, segment_id: int = SegmentId) -> dict[str, Any]:
    services.segment_delete(actor=actor_of(request), segment_id=segment_id)
    return {"id": segment_id, "deleted": True}


@router.get(
    "/segments/{int:segment_id}/count",
    response={200: CountOut, **ERRORS},
    summary="The segment's member count, evaluated now",
)
def segment_count(request: HttpRequest, segment_id: int = SegmentId) -> dict[str, int]:
    actor = actor_of(request)
    segment = selectors.segment_get(actor=actor, segment_id=segment_id)
    return {"members": selectors.segment_count(segment, actor=actor)}


@router.get(
    "/segments/{int:segment_id}/members",
    response={200: SegmentMembersOut, **ERRORS},
    summary="The segment's members, evaluated now (a page of at most 500)",
)
def segment_members(
    request: HttpRequest, page: Query[PageQuery], segment_id: int = SegmentId
) -> dict[str, Any]:
    actor = actor_of(request)
    require(actor, Perm.MEMBER_VIEW)
    segment = selectors.segment_get(actor=actor, segment_id=segment_id)
    members = selectors.segment_members(segment, actor=actor).order_by("pk")
    limit, offset = max(min(page.limit, 500), 1), max(page.offset, 0)
    return {
        "total": members.count(),
        "items": list(
            members.values("id", "code", "name", "home_store_id")[offset : offset + limit]
        ),
    }


@router.get(
    "/segments/rfm", response={200: RfmSummaryOut, **ERRORS}, summary="Members per RFM class"
)
def rfm_summary(request: HttpRequest) -> selectors.RfmSummary:
    return selectors.rfm_summary(actor=actor_of(request))


@router.get(
    "/segments/rfm/settings", response={200: RfmSettingsOut, **ERRORS}, summary="RFM cut points"
)
def rfm_settings(request: HttpRequest) -> Any:
    require(actor_of(request), Perm.SEGMENT_VIEW)
    return selectors.rfm_settings_get()


@router.put(
    "/segments/rfm/settings",
    response={200: RfmSettingsOut, **ERRORS},
    summary="Change the RFM cut points (head office)",
)
def rfm_settings_update(request: HttpRequest, payload: RfmSettingsIn) -> Any:
    values = {k: v for k, v in payload.dict().items() if k in RFM_FIELDS and v is not None}
    return services.rfm_settings_update(actor=actor_of(request), values=values)


@router.post(
    "/segments/refresh",
    response={200: RefreshOut, **ERRORS},
    summary="Recompute RFM, habits, predictions and cross-sell now",
)
def profiles_refresh(request: HttpRequest, payload: RefreshIn) -> dict[str, Any]:
    result = services.profiles_refresh(actor=actor_of(request))
    return {"members": result.members, "fitted": result.fit is not None}


def _milli(value: float) -> int:
    return round(value * 1000)


@router.get(
    "/segments/predictions",
    response={200: PredictionsOut, **ERRORS},
    summary="Churn risk and lifetime value per member, highest risk first (at most 500)",
)
def predictions(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    fit = selectors.model_fit_latest()
    limit, offset = max(min(page.limit, 500), 1), max(page.offset, 0)
    rows = selectors.profile_list(actor=actor)[offset : offset + limit]
    items = [
        {
            "member_id": p.member_id,
            "member_code": p.member.code,
            "rfm_class": p.rfm_class,
            "last_on": p.last_on,
            "purchases": p.purchases,
            "spend_fen": p.spend_fen,
            "p_alive_permille": _milli(p.p_alive or 0),
            "churn_risk_permille": 1000 - _milli(p.p_alive or 0),
            "expected_purchases_90_milli": _milli(p.expected_purchases_90 or 0),
            "clv_fen": p.clv_fen,
        }
        for p in rows
    ]
    model = (
        {
            "members": fit.members,
            "r_milli": _milli(fit.r),
            "alpha_milli": _milli(fit.alpha),
            "a_milli": _milli(fit.a),
            "b_milli": _milli(fit.b),
            "fitted_at": fit.fitted_at,
        }
        if fit
        else None
    )
    return {"model": model, "items": items}


@router.get(
    "/segments/cross-sell",
    response={200: list[CrossSellOut], **ERRORS},
    summary="Items and categories bought together (support, confidence, lift)",
)
def cross_sell(request: HttpRequest, filters: Query[SegmentLevelQuery]) -> list[dict[str, Any]]:
    rows = selectors.cross_sell_list(actor=actor_of(request), level=filters.level)[:500]
    return [
        {
            "level": r.level,
            "antecedent": r.antecedent,
            "consequent": r.consequent,
            "baskets": r.baskets,
            "support_permille": _milli(r.support),
            "confidence_permille": _milli(r.confidence),
            "lift_pct": round(r.lift * 100),
        }
        for r in rows
    ]
