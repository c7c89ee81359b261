"""Package schemas (次卡, 期限卡, 课程卡): plans, packages with what is left, uses, refunds."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt, StringConstraints

from huiyuan.api.schemas.common import Id, In, OptionalReason, Reason, documented
from huiyuan.api.schemas.wallet import Method
from huiyuan.core.bounds import NON_BLANK_PATTERN
from huiyuan.packages.models import MAX_USES

Kind = Literal["count", "period", "course"]
Uses = Annotated[StrictInt, Field(ge=1, le=MAX_USES)]


# A name must show something (``name_required``, ``item_name_required``).
ItemName = Annotated[
    str, StringConstraints(max_length=40), documented(minLength=1, pattern=NON_BLANK_PATTERN)
]
PlanName = Annotated[
    str, StringConstraints(max_length=60), documented(minLength=1, pattern=NON_BLANK_PATTERN)
]


class PlanItemIn(In):
    name: ItemName
    uses: Uses | None = Field(None, description="Uses of this item; none for a period card.")


class PackagePlanIn(In):
    product_id: Id
    name: PlanName
    kind: Kind
    items: list[PlanItemIn] = Field(default_factory=list, max_length=20)
    validity_value: Annotated[StrictInt, Field(ge=1, le=3660)] | None = None
    validity_unit: Literal["day", "month"] = "day"
    activation: Literal["sale", "first_use"] = "sale"
    limit_count: Uses | None = Field(None, description="At most this many uses per period.")
    limit_period: Literal["day", "week", "month"] = "day"
    all_stores: StrictBool = True
    store_ids: list[Id] = Field(default_factory=list, max_length=500)
    refund_fee_fen: Annotated[StrictInt, Field(ge=0, le=100_000_000)] = 0
    refund_fee_bp: Annotated[StrictInt, Field(ge=0, le=10_000)] = Field(
        0, description="Fee in basis points (1/100 %) of the refundable amount."
    )
    active: StrictBool = True


class PlanItemOut(Schema):
    id: int
    name: str
    uses: int | None


class PlanOut(Schema):
    id: int
    product_id: int
    name: str
    kind: str
    items: list[PlanItemOut]
    validity_value: int | None
    validity_unit: str
    activation: str
    limit_count: int | None
    limit_period: str
    all_stores: bool
    store_ids: list[int]
    refund_fee_fen: int
    refund_fee_bp: int
    active: bool


class PackageItemOut(Schema):
    id: int
    name: str
    total: int | None = Field(..., description="Uses bought; null: unlimited (period card).")
    used: int
    remaining: int | None


class PackageOut(Schema):
    id: int
    code: str
    plan_id: int
    kind: str
    name: str
    status: Literal["active", "expired", "refunded", "cancelled"]
    member_id: int | None
    card_id: int | None
    store_id: int
    sale_id: int | None
    paid_fen: int
    valid_from: dt.date | None
    valid_until: dt.date | None
    limit_count: int | None
    limit_period: str
    all_stores: bool
    store_ids: list[int]
    items: list[PackageItemOut]
    created_at: dt.datetime


class UseIn(In):
    item_id: Id | None = Field(None, description="The item used (required for a course card).")
    note: OptionalReason = ""


class UndoIn(In):
    reason: Reason


class UseOut(Schema):
    id: int
    package_id: int
    item_id: int
    kind: Literal["use", "undo"]
    reverses_id: int | None
    store_id: int
    business_date: dt.date
    remaining_after: int | None
    note: str
    undone: bool
    created_at: dt.datetime


class PackageRefundIn(In):
    method: Method = "cash"
    reason: Reason


class RefundQuoteOut(Schema):
    paid_fen: int
    total_units: int
    unused_units: int
    gross_fen: int
    fee_fen: int
    amount_fen: int


class PackageRefundOut(RefundQuoteOut):
    id: int
    package_id: int
    store_id: int
    method: str
    reason: str
    created_at: dt.datetime
