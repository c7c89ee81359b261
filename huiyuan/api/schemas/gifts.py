"""Schemas of the gift catalog, redemptions, distributions, lotteries and check-in.

Points are integers, money integer fen, ids strict integers (``Id``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt

from huiyuan.api.schemas.common import Id, In, QueryId, QueryInt, Reason, documented
from huiyuan.api.schemas.money import BalancesOut
from huiyuan.core.bounds import NON_BLANK_PATTERN

# Text the service refuses when it shows nothing (``gift_code_required``, ``name_required``…).
Code = Annotated[str, Field(max_length=40), documented(minLength=1, pattern=NON_BLANK_PATTERN)]
Name = Annotated[str, Field(max_length=100), documented(minLength=1, pattern=NON_BLANK_PATTERN)]
Points = Annotated[StrictInt, Field(ge=1, le=10_000_000, description="Whole points.")]
Stock = Annotated[StrictInt, Field(ge=0, le=10_000_000)]
Quantity = Annotated[StrictInt, Field(ge=1, le=100)]
GiftStatus = Literal["active", "delisted"]
CashMethod = Literal["cash", "bank_card", "wechat", "alipay"]


class GiftIn(In):
    code: Code
    name: Name
    description: str = Field("", max_length=500)
    points_price: Points
    cash_fen: Annotated[StrictInt, Field(ge=0, le=100_000_000)] = 0
    stock: Stock = 0


class GiftEditIn(In):
    code: Code
    name: Name
    description: str = Field("", max_length=500)
    points_price: Points
    cash_fen: Annotated[StrictInt, Field(ge=0, le=100_000_000)] = 0


class GiftStatusIn(In):
    status: GiftStatus


class RestockIn(In):
    delta: Annotated[
        StrictInt,
        Field(
            ge=-10_000_000,
            le=10_000_000,
            description="Stock in (>0) or written off (<0); never 0.",
            json_schema_extra={"not": {"const": 0}},
        ),
    ]
    reason: Reason


class GiftOut(Schema):
    id: int
    code: str
    name: str
    description: str
    points_price: int
    cash_fen: int
    stock: int
    status: str
    updated_at: dt.datetime


class GiftQuery(In):
    q: str = Field("", max_length=100)
    status: GiftStatus | None = None


class MovementOut(Schema):
    id: int
    kind: str
    delta: int
    stock_after: int
    store_id: int | None
    redemption_id: int | None
    reason: str
    created_at: dt.datetime


class RedeemIn(In):
    card_id: Id
    gift_id: Id
    quantity: Quantity = 1
    cash_method: CashMethod | None = Field(
        None, description="How the gift's cash top-up is paid (required when it has one)."
    )


class RedemptionOut(Schema):
    id: int
    gift_id: int
    gift_name: str
    member_id: int
    card_id: int | None
    store_id: int | None
    channel: str
    quantity: int
    points: int
    cash_fen: int
    cash_method: str
    status: str
    operation_id: int | None
    cancel_operation_id: int | None
    created_at: dt.datetime
    picked_up_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    balances_after: BalancesOut | None = None


class RedemptionQuery(In):
    store_id: QueryId | None = None
    member_id: QueryId | None = None
    card_id: QueryId | None = None
    gift_id: QueryId | None = None
    status: Literal["redeemed", "picked_up", "cancelled"] | None = None
    channel: Literal["counter", "api", "distribution", "lottery"] | None = None
    limit: QueryInt = Field(20, ge=1, le=100)
    offset: QueryInt = Field(0, ge=0, le=1_000_000)


class RedemptionPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[RedemptionOut]


class NoFieldsIn(In):
    """An empty JSON object: the operation needs nothing more than its path."""


class CancelIn(In):
    reason: Reason


class DistributionIn(In):
    gift_id: Id
    member_ids: list[Id] = Field(..., min_length=1, max_length=100_000)
    reason: Reason


class DistributionOut(Schema):
    id: int
    gift_id: int
    reason: str
    status: str
    total: int
    given: int
    skipped: int
    percent: int
    created_at: dt.datetime
    finished_at: dt.datetime | None


PrizeWeight = Annotated[StrictInt, Field(ge=0, le=1_000_000, description="Integer weight.")]
PrizeStock = Annotated[
    StrictInt | None, Field(None, ge=0, le=10_000_000, description="Null: unlimited.")
]
PrizeName = Annotated[str, Field(max_length=100, description="Empty: a name is made up.")]


class GiftPrizeIn(In):
    kind: Literal["gift"]
    weight: PrizeWeight
    gift_id: Id
    name: PrizeName = ""
    stock: PrizeStock = None


class PointsPrizeIn(In):
    kind: Literal["points"]
    weight: PrizeWeight
    points: Annotated[StrictInt, Field(ge=1, le=1_000_000)]
    name: PrizeName = ""
    stock: PrizeStock = None


class NothingPrizeIn(In):
    kind: Literal["nothing"]
    weight: PrizeWeight
    name: PrizeName = ""
    stock: PrizeStock = None


PrizeIn = Annotated[GiftPrizeIn | PointsPrizeIn | NothingPrizeIn, Field(discriminator="kind")]


class LotteryIn(In):
    name: Name
    cost_points: Annotated[StrictInt, Field(ge=0, le=1_000_000)]
    prizes: list[PrizeIn] = Field(..., min_length=1, max_length=20)


class LotteryStatusIn(In):
    status: Literal["active", "ended"]


class PrizeOut(Schema):
    id: int
    position: int
    kind: str
    name: str
    gift_id: int | None
    points: int
    weight: int
    stock: int | None
    awarded: int


class LotteryOut(Schema):
    id: int
    name: str
    cost_points: int
    status: str
    commitment: str = Field(..., description="SHA-256 of the lottery's secret (hex).")
    secret: str = Field(..., description="Published once the lottery has ended; else empty.")
    created_at: dt.datetime
    ended_at: dt.datetime | None
    prizes: list[PrizeOut]


class DrawIn(In):
    card_id: Id


class DrawOut(Schema):
    id: int
    lottery_id: int
    member_id: int
    card_id: int
    seed: str
    roll: str
    weights: list[list[int]]
    out_of_stock: list[int]
    picked_prize_id: int | None
    prize_id: int | None
    prize_kind: str
    prize_name: str
    cost_points: int
    points_won: int
    operation_id: int | None
    redemption_id: int | None
    created_at: dt.datetime
    balances_after: BalancesOut | None = None


class DrawVerifyOut(Schema):
    ok: bool
    seed_ok: bool
    picked_ok: bool
    prize_ok: bool
    seed: str
    roll: int
    picked_prize_id: int | None
    prize_id: int | None


class DrawQuery(In):
    member_id: QueryId | None = None
    limit: QueryInt = Field(20, ge=1, le=100)
    offset: QueryInt = Field(0, ge=0, le=1_000_000)


class DrawPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[DrawOut]


class CheckinIn(In):
    card_id: Id


class CheckinOut(Schema):
    id: int
    member_id: int
    card_id: int
    business_date: dt.date
    streak: int
    points: int
    operation_id: int | None
    created_at: dt.datetime
    balances_after: BalancesOut | None = None


RewardDay = Annotated[StrictInt, Field(ge=1, le=366)]
RewardPoints = Annotated[StrictInt, Field(ge=0, le=100_000)]


class CheckinPolicyIn(In):
    enabled: StrictBool
    rewards: list[tuple[RewardDay, RewardPoints]] = Field(
        ...,
        min_length=1,
        max_length=50,
        description="[[day, points], …]: from streak day N on, earn these points; day 1 first.",
    )
    cycle_days: Annotated[StrictInt, Field(ge=1, le=366)] | None = None


class CheckinPolicyOut(Schema):
    enabled: bool
    rewards: list[list[int]]
    cycle_days: int | None


class StreakOut(Schema):
    member_id: int
    checked_in_today: bool
    current: int
    next_points: int
    recent: list[CheckinOut]
