"""Schemas of messages to members (care): templates, campaigns, the delivery log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictBool

from huiyuan.api.schemas.common import Id, In, QueryId, QueryInt, documented
from huiyuan.core.bounds import NON_BLANK_PATTERN

Channel = Literal["sms", "email", "wechat", "inbox", "webhook"]
Kind = Literal["transactional", "marketing"]
DeliveryStatus = Literal["queued", "sent", "delivered", "failed", "suppressed"]
TemplateCode = Annotated[
    str, Field(max_length=40), documented(minLength=1, pattern="^[A-Za-z0-9_-]+$")
]
Text = Annotated[str, Field(max_length=1000), documented(minLength=1, pattern=NON_BLANK_PATTERN)]
Name = Annotated[str, Field(max_length=80), documented(minLength=1, pattern=NON_BLANK_PATTERN)]


class CareTemplateIn(In):
    code: TemplateCode
    channel: Channel
    name: Annotated[str, Field(max_length=60)] = ""
    kind: Kind
    subject: Annotated[str, Field(max_length=120)] = ""
    body: Text = Field(..., description="Variables in braces: {name}, {balance}, {points}…")
    is_active: StrictBool = True


class CareTemplateOut(Schema):
    code: str
    name: str
    kind: Kind
    builtin: bool = Field(..., description="Shipped with huiyuan (a saved wording overrides it).")
    body: str
    channels: list[Channel] = Field(..., description="Channels with the merchant's own wording.")


class SavedTemplateOut(Schema):
    id: int
    code: str
    channel: Channel
    name: str
    kind: Kind
    subject: str
    body: str
    is_active: bool
    updated_at: dt.datetime


class PreviewIn(In):
    code: TemplateCode
    channel: Channel
    member_id: Id
    subject: Annotated[str, Field(max_length=120)] = ""
    body: Annotated[str, Field(max_length=1000)] = Field(
        "", description="A draft to preview instead of the saved wording."
    )


class CarePreviewOut(Schema):
    subject: str
    body: str
    kind: Kind
    length: int = Field(..., description="Characters (an SMS is billed per 70).")


class CampaignIn(In):
    name: Name
    template_code: TemplateCode
    channel: Channel = "sms"
    segment_id: Id | None = Field(None, description="A saved segment; null: every active member.")
    coupon_template_id: Id | None = None


class NoFieldsIn(In):
    """An empty JSON object: the operation needs nothing more than its path."""


class CampaignReportOut(Schema):
    queued: int
    sent: int
    failed: int
    opted_out: int
    capped: int
    no_address: int
    coupons: int
    redeemed: int = Field(..., description="Attached coupons used since.")


class CampaignOut(Schema):
    id: int
    name: str
    template_code: str
    channel: Channel
    segment_id: int | None
    coupon_template_id: int | None
    status: Literal["draft", "running", "done", "failed"]
    total: int
    done: int
    percent: int
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    report: CampaignReportOut


class CareDeliveryQuery(In):
    channel: Channel | None = None
    status: DeliveryStatus | None = None
    template: Annotated[str, Field(max_length=40)] = ""
    campaign_id: QueryId | None = None
    member_id: QueryId | None = None
    limit: QueryInt = Field(100, ge=1, le=500)


class CareDeliveryOut(Schema):
    id: int
    channel: Channel
    kind: Kind
    template: str
    member_id: int | None
    recipient: str = Field(..., description="Masked.")
    status: DeliveryStatus
    reason: str = Field(..., description="opted_out, capped, quiet_hours (deferred)…")
    attempts: int
    provider_id: str
    provider_response: str
    receipt: str = Field(..., description="The provider's delivery receipt (回执), as received.")
    last_error: str
    campaign_id: int | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None
    next_attempt_at: dt.datetime | None


class OptOutOut(Schema):
    member_id: int
    opted_out: bool


class CareDateIn(In):
    name: Annotated[str, Field(max_length=60), documented(minLength=1, pattern=NON_BLANK_PATTERN)]
    calendar: Literal["solar", "lunar", "once"] = Field(
        ..., description="solar/lunar: every year on month-day; once: on `date`."
    )
    month: Annotated[int, Field(ge=1, le=12, strict=True)] | None = None
    day: Annotated[int, Field(ge=1, le=31, strict=True)] | None = Field(
        None, description="Lunar days run 1–30 (初一…三十; a missing 30th falls on the 29th)."
    )
    date: dt.date | None = None
    template_code: TemplateCode = "holiday"
    channel: Channel = "sms"
    days_ahead: Annotated[int, Field(ge=0, le=60, strict=True)] = 0
    coupon_template_id: Id | None = None
    is_active: StrictBool = True


class CareDateOut(Schema):
    id: int
    name: str
    calendar: Literal["solar", "lunar", "once"]
    month: int | None
    day: int | None
    date: dt.date | None
    label: str = Field(..., description="How it reads: 03-08, 农历正月初一, 2026-12-24.")
    template_code: str
    channel: Channel
    days_ahead: int
    coupon_template_id: int | None
    is_active: bool
