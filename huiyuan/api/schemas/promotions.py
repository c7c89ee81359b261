"""Promotion (促销), holiday and joining-policy schemas.

A promotion's ``value`` is in the unit its ``kind`` takes: ``percent_off`` the price paid
in permille (``900`` = 9折, 1–999), ``amount_off_per_unit`` fen off per whole unit (``30`` =
¥0.30 off a litre), ``fixed_unit_price`` the unit price in fen while it runs. Weekdays are
ISO (Monday ``1`` … Sunday ``7``); dates are the stores' local dates.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator, StrictBool, StrictInt
from pydantic_core import PydanticCustomError

from huiyuan.api.schemas.catalog import NAME_PATTERN
from huiyuan.api.schemas.common import BusinessDate, BusinessDateTime, Id, In
from huiyuan.catalog.models import CODE_PATTERN
from huiyuan.checkout.models import JoiningPolicy, Promotion
from huiyuan.checkout.services.promotions import MAX_VALUE_FEN
from huiyuan.core.bounds import BUSINESS_YEARS

PROMOTION_CODE_PATTERN = r"^[A-Za-z0-9_-]{1,40}$"
MAX_JOINING_FEN = 1_000_000_000

Kind = Literal["percent_off", "amount_off_per_unit", "fixed_unit_price"]
StackingName = Literal["best_of", "stack", "exclusive"]
State = Literal["scheduled", "current", "ended"]
Mode = Literal["off", "first_purchase", "pay_to_join", "spend_threshold"]
Weekday = Annotated[StrictInt, Field(ge=1, le=7)]
CategoryCode = Annotated[str, Field(pattern=CODE_PATTERN)]

assert set(Kind.__args__) == set(Promotion.Kind.values)  # type: ignore[attr-defined]
assert set(StackingName.__args__) == set(Promotion.Stacking.values)  # type: ignore[attr-defined]
assert set(Mode.__args__) == set(JoiningPolicy.Mode.values)  # type: ignore[attr-defined]


class DateRange(In):
    first: BusinessDate = Field(..., description="First day (inclusive, local date).")
    last: BusinessDate = Field(..., description="Last day (inclusive); not before `first`.")


class PromotionIn(In):
    """A promotion, or the next version of the one with this ``code``."""

    code: str = Field(
        ...,
        pattern=PROMOTION_CODE_PATTERN,
        examples=["fuel92-wed"],
        description="Stable code; publishing an existing code makes its next version.",
    )
    name: str = Field(
        ..., min_length=1, max_length=60, pattern=NAME_PATTERN, examples=["92# 周三每升减0.30"]
    )
    kind: Kind
    value: StrictInt = Field(
        ...,
        ge=0,
        le=MAX_VALUE_FEN,
        description=(
            "`percent_off`: price paid ‰, 1–999 (900 = 9折); `amount_off_per_unit`: fen off "
            "per unit, at least 1; `fixed_unit_price`: unit price in fen (`invalid_value`)."
        ),
    )
    product_ids: list[Id] = Field(default_factory=list, max_length=500)
    category_codes: list[CategoryCode] = Field(
        default_factory=list,
        max_length=100,
        description="A line is covered when any category on its path is listed.",
    )
    store_ids: list[Id] = Field(
        default_factory=list, max_length=500, description="Empty: every store."
    )
    weekdays: list[Weekday] = Field(default_factory=list, max_length=7)
    on_holidays: StrictBool = Field(False, description="Also runs on the holiday calendar's days.")
    date_ranges: list[DateRange] = Field(
        default_factory=list, max_length=50, description="Empty: any date."
    )
    effective_from: BusinessDateTime | None = Field(
        None, description="Default now; never in the past, after the current version's start."
    )
    effective_to: BusinessDateTime | None = Field(None, description="Exclusive; empty: open.")
    priority: StrictInt = Field(100, ge=0, le=10_000, description="Lowest wins on a line.")
    stacking: StackingName = Field(
        "best_of",
        description=(
            "With the tier discount: `best_of` the larger, `stack` promotion then tier rate, "
            "`exclusive` the promotion only."
        ),
    )


class DateRangeOut(Schema):
    first: dt.date
    last: dt.date


class PromotionOut(Schema):
    id: int
    code: str
    version: int
    name: str
    kind: Kind
    value: int
    product_ids: list[int]
    category_codes: list[str]
    store_ids: list[int]
    weekdays: list[int]
    on_holidays: bool
    date_ranges: list[DateRangeOut]
    effective_from: dt.datetime
    effective_to: dt.datetime | None
    priority: int
    stacking: StackingName
    state: State = Field(..., description="At the time of the request.")
    created_at: dt.datetime


class PromotionDetailOut(PromotionOut):
    versions: list[PromotionOut] = Field(
        ..., description="Every version of the code, newest first."
    )


class PromotionListQuery(In):
    code: str | None = Field(
        None, pattern=PROMOTION_CODE_PATTERN, description="One code's versions."
    )
    active_at: BusinessDateTime | None = Field(
        None, description="Only versions in force at this moment."
    )


class PromotionEndIn(In):
    at: BusinessDateTime | None = Field(None, description="Default now; never in the past.")


def _year_digits(value: object) -> object:
    """A year in a query string: four ASCII digits."""
    if isinstance(value, str) and len(value) == 4 and value.isascii() and value.isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise PydanticCustomError("int_digits", "must be a year written in digits")


# The bounds before the validator, or pydantic leaves them out of the JSON schema.
QueryYear = Annotated[
    int, Field(ge=BUSINESS_YEARS[0], le=BUSINESS_YEARS[1]), BeforeValidator(_year_digits)
]


class HolidayQuery(In):
    year: QueryYear | None = Field(None, description="One year's holidays; default: all.")


class HolidayIn(In):
    name: str = Field(..., min_length=1, max_length=30, pattern=NAME_PATTERN, examples=["国庆节"])


class HolidayPath(Schema):
    day: BusinessDate


class HolidayOut(Schema):
    date: dt.date
    name: str


class CardTypeRef(Schema):
    id: int
    code: str
    name: str


class JoiningPolicyOut(Schema):
    mode: Mode = Field(
        ...,
        description=(
            "`off`: only when the cashier enrols the customer; `first_purchase`; "
            "`pay_to_join` (支付即会员, WeChat or Alipay); `spend_threshold` (满额入会)."
        ),
    )
    threshold_fen: int
    fee_fen: int = Field(..., description="Joining fee (工本费) charged as a line of the sale.")
    card_type: CardTypeRef | None = Field(..., description="Empty: the first named card type.")


class JoiningPolicyIn(In):
    mode: Mode
    threshold_fen: StrictInt = Field(
        0, ge=0, le=MAX_JOINING_FEN, description="Required above 0 for `spend_threshold`."
    )
    fee_fen: StrictInt = Field(0, ge=0, le=MAX_JOINING_FEN)
    card_type_id: Id | None = Field(None, description="An active, named card type.")
