"""Benefit-card schemas (付费会员 / 权益卡): plans with their privileges, cards, changes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt, StringConstraints

from huiyuan.api.schemas.common import Id, In, QueryId, Reason, documented
from huiyuan.api.schemas.wallet import Method
from huiyuan.core.bounds import NON_BLANK_PATTERN

Term = Literal["month", "quarter", "year", "lifetime"]
Permille = Annotated[StrictInt, Field(ge=0, le=1000)]
PlanName = Annotated[
    str, StringConstraints(max_length=60), documented(minLength=1, pattern=NON_BLANK_PATTERN)
]
PlanCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,20}$")]
CategoryCode = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Fen = Annotated[StrictInt, Field(ge=0, le=100_000_000)]


class BenefitPlanIn(In):
    product_id: Id
    code: PlanCode
    name: PlanName
    term: Term
    rank: Annotated[StrictInt, Field(ge=1, le=99)] = Field(
        1, description="Upgrades go to a plan of a higher rank."
    )
    paid_permille: Permille = Field(
        1000, description="Extra rate on every category (950 = a further 5% off)."
    )
    category_discounts: dict[CategoryCode, Permille] = Field(
        default_factory=dict, description="Category code → extra paid permille."
    )
    points_multiplier_pct: Annotated[StrictInt, Field(ge=1, le=1000)] = 100
    member_prices: dict[str, Fen] = Field(
        default_factory=dict, description="Product id (as text) → member-only unit price in fen."
    )
    free_plan_id: Id | None = Field(
        None, description="A count-card plan (period card) giving the free uses per period."
    )
    priority_text: Annotated[str, StringConstraints(max_length=200)] = ""
    refund_fee_bp: Annotated[StrictInt, Field(ge=0, le=10_000)] = 0
    active: StrictBool = True


class BenefitPlanOut(Schema):
    id: int
    product_id: int
    code: str
    name: str
    term: str
    rank: int
    paid_permille: int
    category_discounts: dict[str, int]
    points_multiplier_pct: int
    member_prices: dict[str, int]
    free_plan_id: int | None
    priority_text: str
    refund_fee_bp: int
    active: bool
    version: int
    price_fen: int


class BenefitOut(Schema):
    id: int
    code: str
    plan_id: int
    name: str
    term: str
    rank: int
    status: Literal["active", "expired", "upgraded", "refunded", "cancelled"]
    member_id: int
    card_id: int | None
    store_id: int
    sale_id: int | None
    package_id: int | None = Field(..., description="The free uses (a count-card package).")
    paid_fen: int
    valid_from: dt.date
    valid_until: dt.date | None = Field(..., description="Null: a lifetime card.")
    privileges: dict[str, object]
    created_at: dt.datetime


class UnusedQuoteOut(Schema):
    value_fen: int
    total_days: int
    unused_days: int
    gross_fen: int = Field(..., description="value × unused ÷ total, rounded down to the fen.")
    fee_fen: int
    amount_fen: int


class UpgradeQuoteOut(UnusedQuoteOut):
    price_fen: int
    due_fen: int


class UpgradeQuery(Schema):
    plan_id: QueryId


class UpgradeIn(In):
    plan_id: Id
    method: Method = "cash"


class BenefitRefundIn(In):
    method: Method = "cash"
    reason: Reason


class ChangeOut(Schema):
    id: int
    benefit_id: int
    kind: Literal["renew", "upgrade", "refund"]
    target_id: int | None
    sale_id: int | None
    store_id: int
    method: str
    until_before: dt.date | None
    until_after: dt.date | None
    paid_fen: int
    total_days: int
    unused_days: int
    gross_fen: int
    fee_fen: int
    amount_fen: int
    due_fen: int
    reason: str
    created_at: dt.datetime
