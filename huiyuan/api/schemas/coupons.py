"""Coupon schemas: templates, coupons, statistics, dry runs, batches, group-buy vouchers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt, StringConstraints

from huiyuan.api.schemas.common import BusinessDate, Id, In, QueryId

MAX_FEN = 100_000_000
Fen = Annotated[StrictInt, Field(ge=0, le=MAX_FEN, description="Amount in fen (¥1 = 100).")]
Name = Annotated[str, StringConstraints(max_length=40)]
Code = Annotated[str, StringConstraints(max_length=30)]


class TemplateIn(In):
    name: Name = Field(..., description="Shown on the receipt: 满100减20.")
    kind: Literal["cash", "threshold", "percent", "gift"]
    value: Fen = Field(
        0,
        description=(
            "cash/threshold: fen off; percent: price paid in ‰ (800 = 8折); gift: the gift's "
            "value in fen (for the budget)."
        ),
    )
    min_spend_fen: Fen = 0
    cap_fen: Fen = Field(0, description="percent: the most it takes off (0: no cap).")
    gift_product_id: Id | None = None
    validity: Literal["fixed", "relative"] = "fixed"
    valid_from: BusinessDate | None = None
    valid_to: BusinessDate | None = None
    valid_days: Annotated[StrictInt, Field(ge=1, le=3650)] | None = None
    store_ids: list[Id] = Field(default_factory=list, max_length=200)
    category_codes: list[Code] = Field(default_factory=list, max_length=100)
    tier_codes: list[Code] = Field(default_factory=list, max_length=50)
    weekdays: list[Annotated[StrictInt, Field(ge=1, le=7)]] = Field(
        default_factory=list, max_length=7
    )
    per_member_limit: Annotated[StrictInt, Field(ge=0, le=1000)] = 1
    stock: Annotated[StrictInt, Field(ge=0, le=10_000_000)] | None = None
    budget_fen: Annotated[StrictInt, Field(ge=0, le=MAX_FEN * 100)] | None = None
    stack_group: Annotated[str, StringConstraints(max_length=20)] = Field(
        "", description="Empty: exclusive (used alone); otherwise stacks with other groups."
    )
    claimable: StrictBool = False
    issue_on: list[Literal["member.registered", "wallet.recharged"]] = Field(
        default_factory=list, max_length=2
    )
    min_recharge_fen: Fen = 0
    restore_on_return: StrictBool = True


class TemplateOut(Schema):
    id: int
    name: str
    kind: str
    value: int
    min_spend_fen: int
    cap_fen: int
    gift_product_id: int | None
    validity: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    valid_days: int | None
    store_ids: list[int]
    category_codes: list[str]
    tier_codes: list[str]
    weekdays: list[int]
    per_member_limit: int
    stock: int | None
    budget_fen: int | None
    stack_group: str
    claimable: bool
    issue_on: list[str]
    min_recharge_fen: int
    restore_on_return: bool
    status: str
    version: int
    issued_count: int
    budget_used_fen: int


class StopIn(In):
    reason: Annotated[str, StringConstraints(max_length=200)] = Field(
        "", description="Why issuing stops (kept in the audit log)."
    )


class MemberIn(In):
    member_id: Id


class CouponOut(Schema):
    id: int
    code: str
    template_id: int
    template_name: str
    member_id: int
    status: str
    channel: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    issued_at: dt.datetime
    used_at: dt.datetime | None
    sale_id: int | None
    discount_fen: int


class StatsOut(Schema):
    issued: int
    claimed: int
    manual: int = Field(..., description="Issued by hand.")
    batch: int = Field(..., description="Issued in batches.")
    on_event: int = Field(
        ..., description="Issued on events (registration, recharge, care dates…), not referrals."
    )
    referral: int = Field(..., description="Given as referral rewards.")
    used: int
    expired: int
    redemption_permille: int = Field(..., description="Used per thousand issued.")
    discount_fen: int
    sales_fen: int = Field(..., description="What the sales that used a coupon came to.")


class CouponDryRunOut(Schema):
    date_from: dt.date
    date_to: dt.date
    sales_seen: int
    sales_used: int
    members: int
    discount_fen: int
    sales_fen: int


class BatchIn(In):
    """Who gets the coupon: every condition given holds (none: every active member in the
    caller's stores)."""

    member_ids: list[Id] = Field(default_factory=list, max_length=10_000)
    tier_codes: list[Code] = Field(default_factory=list, max_length=50)
    home_store_ids: list[Id] = Field(default_factory=list, max_length=200)
    tag_ids: list[Id] = Field(default_factory=list, max_length=100)
    segment_id: Id | None = Field(
        None, description="A saved segment, evaluated as the batch runs (in the caller's stores)."
    )


class BatchOut(Schema):
    id: int
    template_id: int
    segment_id: int | None
    status: str
    total: int
    done: int
    issued: int
    skipped: int
    percent: int


class GroupBuyIn(In):
    provider: Literal["meituan", "douyin"]
    code: Annotated[str, StringConstraints(min_length=1, max_length=40)]


class VoucherOut(Schema):
    provider: str
    code: str
    deal_title: str
    amount_fen: int


class GroupBuyOut(Schema):
    id: int
    provider: str
    code: str
    deal_title: str
    amount_fen: int
    store_id: int
    provider_ref: str
    created_at: dt.datetime


class DryRunQuery(In):
    date_from: BusinessDate | None = Field(None, description="Default: last month's first day.")
    date_to: BusinessDate | None = Field(None, description="Inclusive; default: last month's end.")


class CouponQuery(In):
    template_id: QueryId | None = None
    member_id: QueryId | None = None
    status: Literal["", "unused", "used", "void", "expired"] = ""
    code: Annotated[str, StringConstraints(max_length=30)] = ""
