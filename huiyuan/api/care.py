"""Messages to members (care, docs/care.md): templates and preview, DM campaigns (create,
start, status and report), chosen special dates and holidays, the delivery log, a
member's marketing opt-out.

Not money: no Idempotency-Key. Starting a campaign twice is refused (``campaign_done``)
or resumes it; the per-member record keeps anyone from being served twice.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.idempotent import run_keyed
from huiyuan.api.schemas.care import (
    CampaignIn,
    CampaignOut,
    CareDateIn,
    CareDateOut,
    CareDeliveryOut,
    CareDeliveryQuery,
    CarePreviewOut,
    CareTemplateIn,
    CareTemplateOut,
    NoFieldsIn,
    OptOutOut,
    PreviewIn,
    SavedTemplateOut,
)
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.money import OptionalIdempotencyKey
from huiyuan.care import campaigns, dates, selectors, services
from huiyuan.care.models import Campaign, CareDate, MessageTemplate

router = Router(tags=["care"])

CampaignId = Path(..., ge=1, le=MAX_ID, description="Campaign id.")
MemberId = Path(..., ge=1, le=MAX_ID, description="Member id.")
CareDateId = Path(..., ge=1, le=MAX_ID, description="Special date id.")


def campaign_out(row: Campaign) -> dict[str, Any]:
    report = campaigns.campaign_report(row)
    return {
        **{
            f: getattr(row, f)
            for f in (
                "id",
                "name",
                "template_code",
                "channel",
                "segment_id",
                "coupon_template_id",
                "status",
                "total",
                "done",
                "percent",
                "error",
                "created_at",
                "started_at",
                "finished_at",
            )
        },
        "report": {
            k: getattr(report, k)
            for k in (
                "queued",
                "sent",
                "failed",
                "opted_out",
                "capped",
                "no_address",
                "coupons",
                "redeemed",
            )
        },
    }


@router.get(
    "/care/templates",
    response={200: list[CareTemplateOut], **ERRORS},
    summary="Message templates (built-in and the merchant's)",
)
def template_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "code": r.code,
            "name": r.name,
            "kind": r.kind,
            "builtin": r.builtin,
            "body": r.body,
            "channels": sorted(r.overrides),
        }
        for r in selectors.template_rows(actor=actor_of(request))
    ]


@router.post(
    "/care/templates",
    response={200: SavedTemplateOut, **ERRORS},
    summary="Save a template's wording for one channel",
)
def template_save(request: HttpRequest, payload: CareTemplateIn) -> MessageTemplate:
    return services.template_save(
        actor=actor_of(request),
        data=services.TemplateInput(
            code=payload.code,
            channel=payload.channel,
            name=payload.name,
            kind=payload.kind,
            subject=payload.subject,
            body=payload.body,
            is_active=payload.is_active,
        ),
    )


@router.post(
    "/care/templates/preview",
    response={200: CarePreviewOut, **ERRORS},
    summary="A template as a real member would receive it",
)
def template_preview(request: HttpRequest, payload: PreviewIn) -> services.Preview:
    return services.template_preview(
        actor=actor_of(request),
        code=payload.code,
        channel=payload.channel,
        member_id=payload.member_id,
        body=payload.body,
        subject=payload.subject,
    )


@router.get(
    "/care/campaigns",
    response={200: list[CampaignOut], **ERRORS},
    summary="DM campaigns, newest first",
)
def campaign_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [campaign_out(c) for c in selectors.campaigns_list(actor=actor_of(request))[:200]]


@router.post(
    "/care/campaigns",
    response={201: CampaignOut, **ERRORS},
    summary="Create a DM campaign (a draft)",
)
def campaign_create(
    request: HttpRequest,
    payload: CampaignIn,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> Status[dict[str, Any]]:
    row = run_keyed(
        request,
        idempotency_key,
        "care.campaign_create",
        payload.dict(),
        lambda: campaigns.campaign_create(
            actor=actor_of(request),
            data=campaigns.CampaignInput(
                name=payload.name,
                template_code=payload.template_code,
                channel=payload.channel,
                segment_id=payload.segment_id,
                coupon_template_id=payload.coupon_template_id,
            ),
        ),
        lambda pk: Campaign.objects.get(pk=pk),
    )
    return Status(201, campaign_out(row))


@router.get(
    "/care/campaigns/{campaign_id}",
    response={200: CampaignOut, **ERRORS},
    summary="A campaign's progress and report",
)
def campaign_get(request: HttpRequest, campaign_id: int = CampaignId) -> dict[str, Any]:
    return campaign_out(campaigns.campaign_get(actor=actor_of(request), campaign_id=campaign_id))


@router.post(
    "/care/campaigns/{campaign_id}/start",
    response={200: CampaignOut, **ERRORS},
    summary="Start (or resume) a campaign; the worker sends",
)
def campaign_start(
    request: HttpRequest, payload: NoFieldsIn, campaign_id: int = CampaignId
) -> dict[str, Any]:
    row = campaigns.campaign_start(actor=actor_of(request), campaign_id=campaign_id)
    row.refresh_from_db()
    return campaign_out(row)


@router.get(
    "/care/deliveries",
    response={200: list[CareDeliveryOut], **ERRORS},
    summary="The delivery log (each message's status and the provider's answer)",
)
def delivery_list(request: HttpRequest, filters: Query[CareDeliveryQuery]) -> list[dict[str, Any]]:
    rows = selectors.deliveries_list(
        actor=actor_of(request),
        channel=filters.channel or "",
        status=filters.status or "",
        template=filters.template,
        campaign_id=filters.campaign_id,
        member_id=filters.member_id,
    )[: filters.limit]
    return [selectors.delivery_out(r) for r in rows]


@router.post(
    "/care/members/{member_id}/opt-out",
    response={200: OptOutOut, **ERRORS},
    summary="Record a member's marketing opt-out (退订)",
)
def member_opt_out(
    request: HttpRequest, payload: NoFieldsIn, member_id: int = MemberId
) -> dict[str, Any]:
    services.member_opt_out(actor=actor_of(request), member_id=member_id)
    return {"member_id": member_id, "opted_out": True}


def care_date_out(row: CareDate) -> dict[str, Any]:
    return {
        **{
            f: getattr(row, f)
            for f in (
                "id",
                "name",
                "calendar",
                "month",
                "day",
                "date",
                "template_code",
                "channel",
                "days_ahead",
                "coupon_template_id",
                "is_active",
            )
        },
        "label": dates.care_date_label(row),
    }


def _care_date_input(payload: CareDateIn) -> dates.CareDateInput:
    return dates.CareDateInput(
        name=payload.name,
        calendar=payload.calendar,
        month=payload.month,
        day=payload.day,
        date=payload.date,
        template_code=payload.template_code,
        channel=payload.channel,
        days_ahead=payload.days_ahead,
        coupon_template_id=payload.coupon_template_id,
        is_active=payload.is_active,
    )


@router.get(
    "/care/dates",
    response={200: list[CareDateOut], **ERRORS},
    summary="Chosen special dates and holidays (solar, lunar, one-off)",
)
def care_date_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [care_date_out(r) for r in selectors.care_dates(actor=actor_of(request))]


@router.post(
    "/care/dates",
    response={201: CareDateOut, **ERRORS},
    summary="Choose a special date or holiday (each member served once per occurrence)",
)
def care_date_create(
    request: HttpRequest,
    payload: CareDateIn,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> Status[dict[str, Any]]:
    row = run_keyed(
        request,
        idempotency_key,
        "care.date_create",
        payload.dict(),
        lambda: dates.care_date_save(actor=actor_of(request), data=_care_date_input(payload)),
        lambda pk: CareDate.objects.get(pk=pk),
    )
    return Status(201, care_date_out(row))


@router.put(
    "/care/dates/{care_date_id}",
    response={200: CareDateOut, **ERRORS},
    summary="Change a special date",
)
def care_date_update(
    request: HttpRequest, payload: CareDateIn, care_date_id: int = CareDateId
) -> dict[str, Any]:
    row = dates.care_date_save(
        actor=actor_of(request), data=_care_date_input(payload), care_date_id=care_date_id
    )
    return care_date_out(row)
