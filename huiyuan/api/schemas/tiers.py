"""Tier schemas: the ladder and a manual move."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from huiyuan.api.schemas.common import BusinessDate, Id, In, Reason


class TierOut(Schema):
    id: int
    code: str
    name: str
    level: int
    basis: str = Field(..., description="points, growth or spend (fen) over the window.")
    threshold: int
    retention: int
    window_days: int
    discount_permille: int = Field(..., description="Price paid in ‰: 950 = 95折.")
    points_multiplier_pct: int
    privileges: str
    category_discounts: dict[str, int] = Field(
        ..., description="Price paid in ‰ per category code; overrides `discount_permille`."
    )


class TierMoveIn(In):
    tier_id: Id
    reason: Reason
    protected_until: BusinessDate | None = Field(None, description="No downgrade before this date.")


class MemberTierOut(Schema):
    member_id: int
    tier: TierOut
    protected_until: dt.date | None
