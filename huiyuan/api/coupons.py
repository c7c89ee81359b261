"""Coupon endpoints (K1–K3): templates, issue, claim, batches, lists, statistics, dry runs,
group-buy vouchers. Every write takes an Idempotency-Key."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.coupons import (
    BatchIn,
    BatchOut,
    CouponDryRunOut,
    CouponOut,
    CouponQuery,
    DryRunQuery,
    GroupBuyIn,
    GroupBuyOut,
    MemberIn,
    StatsOut,
    StopIn,
    TemplateIn,
    TemplateOut,
    VoucherOut,
)
from huiyuan.api.schemas.money import IdempotencyKey, require_key
from huiyuan.core.errors import NotFound
from huiyuan.coupons import dryrun, groupbuy, selectors, services
from huiyuan.coupons.models import Coupon, CouponTemplate, IssueBatch

router = Router(tags=["coupons"])

TemplateId = Path(..., ge=1, le=MAX_ID, description="Coupon template id.")
MAX_LIST = 200


def _input(payload: TemplateIn) -> services.TemplateInput:
    data = payload.dict()
    for key in ("store_ids", "category_codes", "tier_codes", "weekdays", "issue_on"):
        data[key] = tuple(data[key])
    return services.TemplateInput(**data)


def _coupon(coupon: Coupon) -> dict[str, Any]:
    return {
        "id": coupon.pk,
        "code": coupon.code,
        "template_id": coupon.template_id,
        "template_name": coupon.template.name,
        "member_id": coupon.member_id,
        "status": coupon.status,
        "channel": coupon.channel,
        "valid_from": coupon.valid_from,
        "valid_to": coupon.valid_to,
        "issued_at": coupon.issued_at,
        "used_at": coupon.used_at,
        "sale_id": coupon.sale_id,
        "discount_fen": coupon.discount_fen,
    }


def _template(actor: Any, template_id: int) -> CouponTemplate:
    template = selectors.templates(actor).filter(pk=template_id).first()
    if template is None:
        raise NotFound("Coupon template not found.", code="coupon_template_not_found")
    return template


def _batch(batch: IssueBatch) -> dict[str, Any]:
    return {
        "id": batch.pk,
        "template_id": batch.template_id,
        "segment_id": batch.filter.get("segment_id"),
        "status": batch.status,
        "total": batch.total,
        "done": batch.done,
        "issued": batch.issued,
        "skipped": batch.skipped,
        "percent": batch.percent,
    }


@router.get("/templates", response={200: list[TemplateOut], **ERRORS}, summary="Coupon templates")
def template_list(request: HttpRequest) -> list[CouponTemplate]:
    return list(selectors.templates(actor_of(request))[:MAX_LIST])


@router.post(
    "/templates", response={201: TemplateOut, **ERRORS}, summary="Create a coupon template"
)
def template_create(
    request: HttpRequest, payload: TemplateIn, idempotency_key: str = IdempotencyKey
) -> Status[CouponTemplate]:
    template = services.template_create(
        actor=actor_of(request), data=_input(payload), idempotency_key=require_key(idempotency_key)
    )
    return Status(201, template)


@router.get(
    "/templates/{int:template_id}", response={200: TemplateOut, **ERRORS}, summary="A template"
)
def template_get(request: HttpRequest, template_id: int = TemplateId) -> CouponTemplate:
    return _template(actor_of(request), template_id)


@router.put(
    "/templates/{int:template_id}",
    response={200: TemplateOut, **ERRORS},
    summary="Edit a template (a new version)",
)
def template_update(
    request: HttpRequest,
    payload: TemplateIn,
    template_id: int = TemplateId,
    idempotency_key: str = IdempotencyKey,
) -> CouponTemplate:
    return services.template_update(
        actor=actor_of(request),
        template_id=template_id,
        data=_input(payload),
        idempotency_key=require_key(idempotency_key),
    )


@router.post(
    "/templates/{int:template_id}/stop",
    response={200: TemplateOut, **ERRORS},
    summary="Stop issuing a template",
)
def template_stop(
    request: HttpRequest,
    payload: StopIn,
    template_id: int = TemplateId,
    idempotency_key: str = IdempotencyKey,
) -> CouponTemplate:
    return services.template_stop(
        actor=actor_of(request),
        template_id=template_id,
        idempotency_key=require_key(idempotency_key),
    )


@router.get(
    "/templates/{int:template_id}/stats",
    response={200: StatsOut, **ERRORS},
    summary="Issued (by channel: claimed, by hand, batch, on events, referral rewards), used, "
    "expired, redemption rate, discount, sales driven",
)
def template_stats(request: HttpRequest, template_id: int = TemplateId) -> dict[str, Any]:
    actor = actor_of(request)
    _template(actor, template_id)
    stats = selectors.template_stats(actor, template_id)
    return {
        "issued": stats.issued,
        "claimed": stats.claimed,
        "manual": stats.manual,
        "batch": stats.batch,
        "on_event": stats.on_event,
        "referral": stats.referral,
        "used": stats.used,
        "expired": stats.expired,
        "redemption_permille": stats.redemption_permille,
        "discount_fen": stats.discount_fen,
        "sales_fen": stats.sales_fen,
    }


@router.get(
    "/templates/{int:template_id}/dry-run",
    response={200: CouponDryRunOut, **ERRORS},
    summary="What the template would have cost on past sales (default: last month)",
)
def template_dry_run(
    request: HttpRequest,
    filters: Query[DryRunQuery],
    template_id: int = TemplateId,
) -> dryrun.DryRun:
    date_from, date_to = filters.date_from, filters.date_to
    actor = actor_of(request)
    _template(actor, template_id)
    if date_from is not None and date_to is not None and date_from > date_to:
        date_from, date_to = date_to, date_from
    if date_from is not None and date_to is not None and (date_to - date_from).days > 366:
        date_from = date_to - dt.timedelta(days=366)
    return dryrun.template_dry_run(
        actor=actor,
        template_id=template_id,
        date_from=date_from if date_to is not None else None,
        date_to=date_to if date_from is not None else None,
    )


@router.post(
    "/templates/{int:template_id}/issue",
    response={201: CouponOut, **ERRORS},
    summary="Issue a coupon to a member by hand",
)
def coupon_issue(
    request: HttpRequest,
    payload: MemberIn,
    template_id: int = TemplateId,
    idempotency_key: str = IdempotencyKey,
) -> Status[dict[str, Any]]:
    coupon = services.coupon_issue(
        actor=actor_of(request),
        template_id=template_id,
        member_id=payload.member_id,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _coupon(coupon))


@router.post(
    "/templates/{int:template_id}/claim",
    response={201: CouponOut, **ERRORS},
    summary="A member claims a coupon (stock and per-member limit respected)",
)
def coupon_claim(
    request: HttpRequest,
    payload: MemberIn,
    template_id: int = TemplateId,
    idempotency_key: str = IdempotencyKey,
) -> Status[dict[str, Any]]:
    coupon = services.coupon_claim(
        actor=actor_of(request),
        template_id=template_id,
        member_id=payload.member_id,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _coupon(coupon))


@router.post(
    "/templates/{int:template_id}/batches",
    response={202: BatchOut, **ERRORS},
    summary="Issue to a filter of members or a saved segment, in the background",
)
def batch_start(
    request: HttpRequest,
    payload: BatchIn,
    template_id: int = TemplateId,
    idempotency_key: str = IdempotencyKey,
) -> Status[dict[str, Any]]:
    batch = services.issue_batch_start(
        actor=actor_of(request),
        template_id=template_id,
        member_filter=services.MemberFilter(
            member_ids=tuple(payload.member_ids),
            tier_codes=tuple(payload.tier_codes),
            home_store_ids=tuple(payload.home_store_ids),
            tag_ids=tuple(payload.tag_ids),
            segment_id=payload.segment_id,
        ),
        idempotency_key=require_key(idempotency_key),
    )
    batch.refresh_from_db()
    return Status(202, _batch(batch))


@router.get(
    "/batches/{int:batch_id}", response={200: BatchOut, **ERRORS}, summary="A batch's progress"
)
def batch_get(request: HttpRequest, batch_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    batch = selectors.batches(actor_of(request)).filter(pk=batch_id).first()
    if batch is None:
        raise NotFound("Batch not found.", code="coupon_batch_not_found")
    return _batch(batch)


@router.get("", response={200: list[CouponOut], **ERRORS}, summary="Coupons, newest first")
def coupon_list(request: HttpRequest, filters: Query[CouponQuery]) -> list[dict[str, Any]]:
    rows = selectors.coupons(
        actor_of(request),
        template_id=filters.template_id,
        member_id=filters.member_id,
        status=filters.status,
        code=filters.code,
    )
    return [_coupon(c) for c in rows[:MAX_LIST]]


@router.post(
    "/group-buy/verify",
    response={200: VoucherOut, **ERRORS},
    summary="Verify a group-buy voucher (美团/抖音) with its provider",
)
def groupbuy_verify(request: HttpRequest, payload: GroupBuyIn) -> groupbuy.Voucher:
    return groupbuy.groupbuy_verify(
        actor=actor_of(request), provider=payload.provider, code=payload.code
    )


@router.post(
    "/group-buy/redeem",
    response={201: GroupBuyOut, **ERRORS},
    summary="Redeem a group-buy voucher at the counter (recorded once)",
)
def groupbuy_redeem(
    request: HttpRequest, payload: GroupBuyIn, idempotency_key: str = IdempotencyKey
) -> Status[Any]:
    row = groupbuy.groupbuy_redeem(
        actor=actor_of(request),
        provider=payload.provider,
        code=payload.code,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, row)
