"""Schemas of segments, RFM, predictions and cross-sell.

No floats cross the API: probabilities are per-mille integers (``p_alive_permille``),
support and confidence per-mille, lift in hundredths (``lift_pct``: 150 = 1.5×).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import StrictInt

from huiyuan.api.schemas.common import Id, In, documented
from huiyuan.core.bounds import NON_BLANK_PATTERN

Name = Annotated[str, Field(max_length=60), documented(minLength=1, pattern=NON_BLANK_PATTERN)]
Definition = Annotated[
    dict[str, Any],
    Field(
        description="The filter (docs/segments.md): tiers, stores, tags, joined_from/to, "
        "genders, age_min/max, regions, last_purchase_after/before, spend_min_fen, "
        "purchases_min, rfm_classes, labels, weekdays, hour_from/to, categories, "
        "churn_risk_min, clv_min_fen."
    ),
]


class SegmentIn(In):
    name: Name
    description: str = Field("", max_length=200)
    definition: Definition
    store_id: Id | None = Field(None, description="A store's segment; chain-wide if omitted.")


class SegmentEditIn(In):
    name: Name | None = None
    description: str | None = Field(None, max_length=200)
    definition: Definition | None = None


class DefinitionIn(In):
    definition: Definition
    store_id: Id | None = None


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    definition: dict[str, Any]
    store_id: int | None
    created_by_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CountOut(Schema):
    members: int


class DeletedOut(Schema):
    id: int
    deleted: bool


class SegmentMemberOut(Schema):
    id: int
    code: str
    name: str
    home_store_id: int


class SegmentMembersOut(Schema):
    total: int
    items: list[SegmentMemberOut]


class RfmRowOut(Schema):
    rfm_class: str
    label: str
    members: int
    spend_fen: int
    purchases: int


class RfmSummaryOut(Schema):
    rows: list[RfmRowOut]
    members: int
    loyal: int
    big_spender: int
    at_risk: int
    lost: int
    computed_at: dt.datetime | None


Days = Annotated[StrictInt, Field(ge=1, le=3650)]
Fen = Annotated[StrictInt, Field(ge=1, le=10**12)]


class RfmSettingsIn(In):
    window_days: Days | None = None
    recent_days: Days | None = None
    frequent_count: Days | None = None
    valuable_fen: Fen | None = None
    loyal_count: Days | None = None
    big_spender_fen: Fen | None = None
    at_risk_days: Days | None = None
    lost_days: Days | None = None


class RfmSettingsOut(Schema):
    window_days: int
    recent_days: int
    frequent_count: int
    valuable_fen: int
    loyal_count: int
    big_spender_fen: int
    at_risk_days: int
    lost_days: int


class RefreshIn(In):
    pass


class RefreshOut(Schema):
    members: int
    fitted: bool


class PredictionOut(Schema):
    member_id: int
    member_code: str
    rfm_class: str
    last_on: dt.date
    purchases: int
    spend_fen: int
    p_alive_permille: int
    churn_risk_permille: int
    expected_purchases_90_milli: int
    clv_fen: int | None


class ModelOut(Schema):
    members: int
    r_milli: int
    alpha_milli: int
    a_milli: int
    b_milli: int
    fitted_at: dt.datetime


class PredictionsOut(Schema):
    model: ModelOut | None
    items: list[PredictionOut]


class CrossSellOut(Schema):
    level: str
    antecedent: str
    consequent: str
    baskets: int
    support_permille: int
    confidence_permille: int
    lift_pct: int
