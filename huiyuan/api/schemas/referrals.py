"""Referral schemas (推荐有礼): the policy, a member's code and figures, rewards, commission."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictInt

from huiyuan.api.schemas.common import Id, In, QueryId

Bp = Annotated[StrictInt, Field(ge=0, le=10_000)]
Points = Annotated[StrictInt, Field(ge=0, le=1_000_000)]


class ReferralPolicyIn(In):
    join_points: Points = 0
    first_purchase_points: Points = 0
    levels: Annotated[StrictInt, Field(ge=0, le=3)] = Field(
        2, description="Upline levels paid commission: at most 3 (China's pyramid-selling rules)."
    )
    level1_bp: Bp = 0
    level2_bp: Bp = 0
    level3_bp: Bp = 0
    hold_days: Annotated[StrictInt, Field(ge=0, le=365)] = 7
    join_coupon_template_id: Id | None = Field(
        None, description="A coupon template given to the referrer when a referee joins."
    )
    first_purchase_coupon_template_id: Id | None = Field(
        None, description="A coupon template given on a referee's first paid purchase."
    )


class ReferralPolicyOut(Schema):
    join_points: int
    first_purchase_points: int
    levels: int
    level1_bp: int
    level2_bp: int
    level3_bp: int
    hold_days: int
    join_coupon_template_id: int | None
    first_purchase_coupon_template_id: int | None
    warnings: list[str]


class MemberReferralOut(Schema):
    code: str = Field(..., description="The member's referral code (the member number).")
    join_token: str | None = Field(
        ..., description="Signed token of the joining link /m/join/?t=…; null without a store."
    )
    referrer_id: int | None
    referees: int
    points: int
    held_fen: int
    released_fen: int
    reversed_fen: int
    net_fen: int
    paid_fen: int = Field(..., description="Commission paid out into stored value (bonus).")
    owed_fen: int = Field(
        ..., description="Released commission not paid yet (negative: owed back after a return)."
    )


class RewardOut(Schema):
    id: int
    referrer_id: int
    referee_id: int
    kind: Literal["join", "first_purchase"]
    points: int
    card_id: int | None
    coupon_template_id: int | None
    coupon_id: int | None
    coupon_refusal: str = Field(
        ..., description="Why the coupon was not given (e.g. coupon_out_of_stock); empty if given."
    )
    sale_id: int | None
    created_at: dt.datetime


class CommissionOut(Schema):
    id: int
    beneficiary_id: int
    referee_id: int
    level: int
    sale_id: int
    return_id: int | None
    base_fen: int
    rate_bp: int
    amount_fen: int
    status: Literal["held", "released", "reversed"]
    release_on: dt.date | None
    reverses_id: int | None
    payout_id: int | None
    created_at: dt.datetime


class CommissionQuery(Schema):
    member_id: QueryId | None = None
    status: Literal["", "held", "released", "reversed"] = ""


class CommissionOwedOut(Schema):
    member_id: int
    amount_fen: int = Field(..., description="Released commission not paid yet (fen).")
    rows: int


class ReferralPayoutIn(In):
    member_id: Id
    expected_fen: Annotated[StrictInt, Field(ge=1, le=100_000_000)] = Field(
        ..., description="The amount owed that the manager confirmed; refused if it changed."
    )


class ReferralPayoutOut(Schema):
    id: int
    beneficiary_id: int
    card_id: int
    amount_fen: int
    rows: int
    store_id: int
    operation_id: int
    created_at: dt.datetime


class PayoutQuery(Schema):
    member_id: QueryId | None = None
