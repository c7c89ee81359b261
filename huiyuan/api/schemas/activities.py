"""Schemas of activities, sign-ups, rewards, points tasks, manual grants, double-points
days and dry runs. Money is integer fen, points integers, ids strict integers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt

from huiyuan.api.schemas.common import (
    BusinessDate,
    BusinessDateTime,
    Id,
    In,
    OptionalReason,
    Reason,
    documented,
)
from huiyuan.api.schemas.money import BalancesOut
from huiyuan.core.bounds import NON_BLANK_PATTERN

Code = Annotated[str, Field(max_length=40), documented(minLength=1, pattern=NON_BLANK_PATTERN)]
Name = Annotated[str, Field(max_length=100), documented(minLength=1, pattern=NON_BLANK_PATTERN)]
Fen = Annotated[StrictInt, Field(ge=0, le=100_000_000)]
Points = Annotated[StrictInt, Field(ge=0, le=1_000_000)]
Kind = Literal["signup", "payment", "claim", "care"]
TaskCode = Literal["register", "profile", "review", "referral"]


class ActivityIn(In):
    code: Code
    name: Name
    kind: Kind
    starts_at: BusinessDateTime
    ends_at: BusinessDateTime
    description: str = Field("", max_length=1000)
    location: str = Field("", max_length=200)
    store_ids: list[Id] = Field(default_factory=list, max_length=500)
    capacity: Annotated[StrictInt, Field(ge=0, le=100_000)] = 0
    fee_fen: Fen = 0
    refund_rule: Literal["full", "hours_before", "none"] = "full"
    refund_hours: Annotated[StrictInt, Field(ge=0, le=720)] = 0
    threshold_fen: Fen = 0
    reward_kind: Literal["", "points", "coupon"] = ""
    reward_points: Points = 0
    coupon_template_id: Id | None = None
    budget: Annotated[StrictInt, Field(ge=1, le=10_000_000)] | None = None
    occasion: Literal["", "birthday", "holiday"] = ""
    holiday_date: BusinessDate | None = None


class ActivityOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    status: str
    description: str
    location: str
    store_ids: list[int]
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    seats_taken: int
    seats_left: int
    fee_fen: int
    refund_rule: str
    refund_hours: int
    threshold_fen: int
    reward_kind: str
    reward_points: int
    coupon_template_id: int | None
    budget: int | None
    budget_used: int
    occasion: str
    holiday_date: dt.date | None
    version: int
    published_at: dt.datetime | None
    ended_at: dt.datetime | None


class ActivityQuery(In):
    kind: Kind | None = None
    status: Literal["draft", "published", "ended", "cancelled"] | None = None
    q: str = Field("", max_length=100)


class NoFieldsIn(In):
    """An empty JSON object: the operation needs nothing more than its path."""


class CancelActivityIn(In):
    reason: Reason


class CardIn(In):
    card_id: Id


class SignupCancelIn(In):
    reason: OptionalReason = ""


class SignupOut(Schema):
    id: int
    activity_id: int
    member_id: int
    card_id: int | None
    store_id: int | None
    status: str
    fee_fen: int
    fee_operation_id: int | None
    refund_fen: int
    refund_operation_id: int | None
    channel: str
    created_at: dt.datetime
    seated_at: dt.datetime | None
    attended_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    balances_after: BalancesOut | None = None


class NoticeOut(Schema):
    id: int
    version: int
    message: str
    changes: dict[str, dict[str, str | int | None]]
    recipients: int
    channel: str
    created_at: dt.datetime


class ActivityStatsOut(Schema):
    activity_id: int
    capacity: int
    seats_taken: int
    participants: int
    waitlisted: int
    attended: int
    cancelled: int
    fees_fen: int
    refunds_fen: int
    rewards_given: int
    rewards_reversed: int
    points_given: int
    coupons_given: int
    cost_fen: int
    budget: int | None
    budget_used: int


class GrantOut(Schema):
    id: int
    activity_id: int | None
    task_id: int | None
    member_id: int
    card_id: int | None
    occasion: str
    points: int
    coupon_id: int | None
    cost_fen: int
    sale_id: int | None
    operation_id: int | None
    reversed_at: dt.datetime | None
    created_at: dt.datetime


class ActivityDryRunQuery(In):
    date_from: BusinessDate | None = None
    date_to: BusinessDate | None = None


class ActivityDryRunOut(Schema):
    subject: str
    date_from: dt.date
    date_to: dt.date
    sales_seen: int
    sales_hit: int
    members: int
    points: int
    coupons: int
    cost_fen: int
    sales_fen: int
    actual_points: int


class TaskIn(In):
    points: Points
    active: StrictBool


class TaskOut(Schema):
    code: str
    points: int
    active: bool


class TaskCompleteIn(In):
    member_id: Id


class GrantBatchIn(In):
    points: Annotated[StrictInt, Field(ge=1, le=100_000)]
    reason: Reason
    segment_id: Id | None = None
    member_codes: list[Annotated[str, Field(max_length=20)]] = Field(
        default_factory=list, max_length=200_000
    )


class GrantBatchOut(Schema):
    id: int
    points: int
    reason: str
    segment_id: int | None
    status: str
    total: int
    given: int
    skipped: int
    percent: int
    created_at: dt.datetime
    finished_at: dt.datetime | None


class PointsDayIn(In):
    name: Annotated[str, Field(max_length=60), documented(minLength=1, pattern=NON_BLANK_PATTERN)]
    multiplier_pct: Annotated[StrictInt, Field(ge=101, le=1000)] = 200
    dates: list[BusinessDate] = Field(default_factory=list, max_length=366)
    weekdays: list[Annotated[StrictInt, Field(ge=1, le=7)]] = Field(
        default_factory=list, max_length=7
    )
    store_ids: list[Id] = Field(default_factory=list, max_length=500)
    valid_from: BusinessDate | None = None
    valid_to: BusinessDate | None = None
    active: StrictBool = True


class PointsDayOut(Schema):
    id: int
    name: str
    multiplier_pct: int
    dates: list[str]
    weekdays: list[int]
    store_ids: list[int]
    valid_from: dt.date | None
    valid_to: dt.date | None
    active: bool
