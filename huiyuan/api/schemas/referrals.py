"""Referral schemas (推荐有礼): the policy, a member's code and figures, rewards, commission."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictInt

from huiyuan.api.schemas.common import In, QueryId

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


class ReferralPolicyOut(Schema):
    join_points: int
    first_purchase_points: int
    levels: int
    level1_bp: int
    level2_bp: int
    level3_bp: int
    hold_days: int
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


class RewardOut(Schema):
    id: int
    referrer_id: int
    referee_id: int
    kind: Literal["join", "first_purchase"]
    points: int
    card_id: int
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
    created_at: dt.datetime


class CommissionQuery(Schema):
    member_id: QueryId | None = None
    status: Literal["", "held", "released", "reversed"] = ""
