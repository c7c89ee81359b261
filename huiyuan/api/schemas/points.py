"""Points schemas: manual adjustment, versioned earn rules, a dry run of the rules."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import (
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

from huiyuan.api.schemas.common import (
    BusinessDate,
    BusinessDateTime,
    Id,
    In,
    QueryBool,
    Reason,
    documented,
)
from huiyuan.api.schemas.money import BalancesOut, Fen, FenOrZero
from huiyuan.points.explain import as_steps, render_step
from huiyuan.points.services import MAX_ADJUST

Pct = Annotated[StrictInt, Field(ge=1, le=10_000, description="Whole percent: 200 = double.")]
Label = Annotated[str, StringConstraints(max_length=40)]
Code = Annotated[str, StringConstraints(max_length=40)]


class PointsAdjustIn(In):
    delta: Annotated[
        StrictInt, Field(ge=-MAX_ADJUST, le=MAX_ADJUST), documented(**{"not": {"const": 0}})
    ] = Field(..., description="Points to add (> 0) or remove (< 0); not zero.")
    reason: Reason


class PointsRevokeIn(In):
    operation_id: Id = Field(
        ..., description="The operation id of the manual grant (from its adjust response)."
    )
    reason: Reason


class PointsAdjustOut(Schema):
    operation_id: int
    card_id: int
    delta: int
    reason: str
    created_at: dt.datetime
    balances_after: BalancesOut


class SpecialDayIn(In):
    date: BusinessDate | None = Field(None, description="One calendar date…")
    weekday: Annotated[StrictInt, Field(ge=1, le=7)] | None = Field(
        None, description="…or every such weekday (1 = Mon)."
    )
    multiplier_pct: Pct
    label: Label = ""

    @model_validator(mode="after")
    def _one_of(self) -> SpecialDayIn:
        if (self.date is None) == (self.weekday is None):
            raise ValueError("give either date or weekday")
        return self

    def to_domain(self) -> dict[str, Any]:
        day: dict[str, Any] = {"multiplier_pct": self.multiplier_pct}
        if self.date is not None:
            day["date"] = self.date.isoformat()
        if self.weekday is not None:
            day["weekday"] = self.weekday
        if self.label:
            day["label"] = self.label
        return day


class EarnRuleIn(In):
    """A new rule, or a new version of ``code``: fields left out keep the previous version's."""

    code: Annotated[str, StringConstraints(pattern=r"^[-a-zA-Z0-9_]{1,40}$")]
    effective_from: BusinessDateTime | None = Field(
        None,
        description="Now or later (default: now); a start in the past is refused "
        "(`effective_from_in_past`): a published version never changes its past.",
    )
    name: str | None = Field(None, min_length=1, max_length=60)
    priority: Annotated[StrictInt, Field(ge=-1000, le=1000)] | None = Field(
        None, description="Lower wins."
    )
    unit_fen: Fen | None = Field(None, description="Per this much paid (fen)…")
    points_per_unit: Annotated[StrictInt, Field(ge=0, le=100_000)] | None = Field(
        None, description="…this many points."
    )
    rounding: Literal["floor", "half_up"] | None = None
    store_ids: list[Id] | None = Field(None, max_length=200)
    tier_codes: list[Code] | None = Field(None, max_length=50)
    categories: list[Code] | None = Field(None, max_length=100)
    excluded_categories: list[Code] | None = Field(None, max_length=100)
    birthday_multiplier_pct: Pct | None = None
    special_days: list[SpecialDayIn] | None = Field(None, max_length=100)
    cap_per_sale: Annotated[StrictInt, Field(ge=0, le=MAX_ADJUST)] | None = None
    cap_per_day: Annotated[StrictInt, Field(ge=0, le=MAX_ADJUST)] | None = None

    def fields(self) -> dict[str, Any]:
        sent = self.model_dump(exclude_unset=True, exclude={"code", "effective_from"})
        sent = {k: v for k, v in sent.items() if v is not None}
        if self.special_days is not None:
            sent["special_days"] = [d.to_domain() for d in self.special_days]
        return sent


class EarnRuleOut(Schema):
    id: int
    code: str
    version: int
    name: str
    priority: int
    effective_from: dt.datetime
    effective_to: dt.datetime | None
    is_active: bool
    unit_fen: int
    points_per_unit: int
    rounding: str
    store_ids: list[int]
    tier_codes: list[str]
    categories: list[str]
    excluded_categories: list[str]
    birthday_multiplier_pct: int
    special_days: list[dict[str, Any]]
    cap_per_sale: int | None
    cap_per_day: int | None


class EarnRuleQuery(In):
    current: QueryBool = Field(False, description="Only the version of each rule in effect now.")


class DryRunIn(In):
    amount_fen: FenOrZero = Field(..., description="The amount paid, in fen.")
    at: BusinessDateTime | None = Field(None, description="When; default: now.")
    store_id: Id | None = None
    category: str = Field("", max_length=40)
    tier_code: str = Field("", max_length=30)
    tier_multiplier_pct: Pct = 100
    is_birthday: StrictBool = False
    earned_today: Annotated[StrictInt, Field(ge=0, le=MAX_ADJUST)] = 0


class EarnStepOut(Schema):
    code: str = Field(
        ...,
        description="What the step did: base, tier, birthday, special_day, multiplied, "
        "cap_per_sale, cap_per_day, category_excluded, rule_not_in_effect, rule_other_stores, "
        "rule_other_tiers, rule_other_categories, no_rule, nothing_paid, earn_frozen, no_card "
        "(text: a sentence kept from an older sale).",
    )
    params: dict[str, Any] = Field(
        ..., description="The step's numbers: amounts in fen, multipliers in whole percent."
    )
    text: str = Field(..., description="The step as a sentence in the request's language.")


def earn_steps_out(steps: Any) -> list[dict[str, Any]]:
    """Stored steps (structured, or an old sale's sentences) as ``EarnStepOut`` rows."""
    return [
        {
            "code": s.get("code", "text"),
            "params": {k: v for k, v in s.items() if k != "code"},
            "text": render_step(s),
        }
        for s in as_steps(steps)
    ]


class EarnStepsOut(Schema):
    steps: list[EarnStepOut] = Field(..., description="How the points were worked out.")

    @field_validator("steps", mode="before")
    @classmethod
    def _structured(cls, steps: Any) -> list[dict[str, Any]]:
        return earn_steps_out(steps)


class DryRunOut(EarnStepsOut):
    points: int
    rule: str | None
    rule_id: int | None
