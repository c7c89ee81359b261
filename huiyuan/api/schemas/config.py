"""Configuration schemas: card types, recharge packages, tiers, policies, stores, staff."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt

from huiyuan.api.schemas.common import BusinessDate, Id, In
from huiyuan.api.schemas.money import Fen, FenOrZero

Code = Annotated[str, Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9_-]+$")]
Name = Annotated[str, Field(min_length=1, max_length=50, pattern=r"\S")]
Permille = Annotated[StrictInt, Field(ge=1, le=1000)]
Days = Annotated[StrictInt, Field(ge=1, le=36500)]


class CardTypeIn(In):
    code: Code
    name: Name
    category: Literal["tier", "service", "multi"] = Field(
        ..., description="tier (按等级), service (按业态), multi (多用途)."
    )
    holding: Literal["personal", "linked", "group", "family"] = "personal"
    anonymous: StrictBool = False
    validity_months: Annotated[StrictInt, Field(ge=1, le=1200)] | None = None
    max_holders: Annotated[StrictInt, Field(ge=1, le=50)] = 1
    number_prefix: Annotated[str, Field(min_length=1, max_length=6, pattern=r"^[0-9]+$")] = "6"


class RechargePackageIn(In):
    name: Name
    pay_fen: Fen
    bonus_fen: FenOrZero = 0
    bonus_valid_days: Days | None = None


class ActiveIn(In):
    active: StrictBool


class TierIn(In):
    code: Code
    name: Name
    level: Annotated[StrictInt, Field(ge=0, le=100)]
    basis: Literal["spend", "points", "growth"] = Field(
        "spend", description="spend (fen), points or growth value over the window."
    )
    threshold: Annotated[StrictInt, Field(ge=0, le=10**12)] = 0
    retention: Annotated[StrictInt, Field(ge=0, le=10**12)] = 0
    window_days: Annotated[StrictInt, Field(ge=1, le=3650)] = 365
    discount_permille: Permille = Field(1000, description="Price paid in ‰: 950 = 95折.")
    points_multiplier_pct: Annotated[StrictInt, Field(ge=1, le=10_000)] = 100
    privileges: str = Field("", max_length=1000)
    category_discounts: dict[Annotated[str, Field(min_length=1, max_length=40)], Permille] = Field(
        default_factory=dict, description="Price paid in ‰ per category code."
    )


class TierPolicyOut(Schema):
    evaluation_period: str
    inactive_termination_days: int | None


class TierPolicyIn(In):
    evaluation_period: Literal["month", "quarter", "year"]
    inactive_termination_days: Days | None = None


class PointsPolicyOut(Schema):
    points_per_yuan: int
    max_offset_percent: int
    expiry: str
    expiry_days: int
    supplement_days: int
    pending_days: int


class PointsPolicyIn(In):
    points_per_yuan: Annotated[StrictInt, Field(ge=1, le=100_000)] | None = None
    max_offset_percent: Annotated[StrictInt, Field(ge=0, le=100)] | None = None
    expiry: Literal["never", "days", "month_end", "quarter_end", "year_end"] | None = None
    expiry_days: Annotated[StrictInt, Field(ge=0, le=36500)] | None = None
    supplement_days: Annotated[StrictInt, Field(ge=0, le=365)] | None = None
    pending_days: Annotated[StrictInt, Field(ge=0, le=90)] | None = None


class WalletPolicyOut(Schema):
    spend_order: str
    named_limit_fen: int
    anonymous_limit_fen: int
    bonus_valid_days: int | None


class WalletPolicyIn(In):
    spend_order: Literal["principal_first", "bonus_first", "proportional"] | None = None
    named_limit_fen: Fen | None = None
    anonymous_limit_fen: Fen | None = None
    bonus_valid_days: Days | None = None


class StoreIn(In):
    code: Code
    name: Name
    address: str = Field("", max_length=200)
    phone: str = Field("", max_length=30)


class TerminalIn(In):
    code: Code
    name: Name


class TerminalOut(Schema):
    id: int
    code: str
    name: str
    store_id: int


class StaffIn(In):
    username: Annotated[str, Field(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")]
    display_name: Name
    role: Literal["owner", "hq_admin", "store_manager", "cashier", "call_center", "marketer"]
    password: str = Field(..., min_length=8, max_length=128)
    store_ids: list[Id] = Field(default_factory=list, max_length=500)
    mobile: str = Field("", max_length=20)


class StaffOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    is_active: bool
    store_ids: list[int]


# ------------------------------------------------------------------------------ edits


Role = Literal["owner", "hq_admin", "store_manager", "cashier", "call_center", "marketer"]
TierAmount = Annotated[StrictInt, Field(ge=0, le=10**12)]


class CardTypeUpdateIn(In):
    """Every field, as it should be (the code stays). Category, holding and anonymous are
    refused (``card_type_in_use``) once a card of the type has been issued."""

    name: Name
    category: Literal["tier", "service", "multi"]
    holding: Literal["personal", "linked", "group", "family"]
    anonymous: StrictBool
    validity_months: Annotated[StrictInt, Field(ge=1, le=1200)] | None = Field(
        ..., description="Months for cards issued or renewed from now on; null: no expiry."
    )
    max_holders: Annotated[StrictInt, Field(ge=1, le=50)]
    number_prefix: Annotated[str, Field(min_length=1, max_length=6, pattern=r"^[0-9]+$")]


class DefaultCardTypeIn(In):
    card_type_id: Id | None = Field(..., description="The card type preselected at issue.")


class DefaultCardTypeOut(Schema):
    card_type_id: int | None


class TierUpdateIn(In):
    """A tier's name and privileges (now) and its terms (from ``effective_from``)."""

    name: Name
    privileges: str = Field("", max_length=1000)
    basis: Literal["spend", "points", "growth"]
    threshold: TierAmount
    retention: TierAmount
    window_days: Annotated[StrictInt, Field(ge=1, le=3650)]
    discount_permille: Permille = Field(..., description="Price paid in ‰: 950 = 95折.")
    points_multiplier_pct: Annotated[StrictInt, Field(ge=1, le=10_000)]
    category_discounts: dict[Annotated[str, Field(min_length=1, max_length=40)], Permille] = Field(
        default_factory=dict, description="Price paid in ‰ per category code."
    )
    effective_from: BusinessDate | None = Field(
        None,
        description="Business date (Asia/Shanghai) the terms apply from: today (default) or later.",
    )


class TierVersionOut(Schema):
    effective_from: dt.date | None = Field(..., description="null: since the tier was created.")
    state: Literal["current", "scheduled", "past"]
    basis: str
    threshold: int
    retention: int
    window_days: int
    discount_permille: int
    points_multiplier_pct: int
    category_discounts: dict[str, int]


class StoreUpdateIn(In):
    name: Name
    address: str = Field("", max_length=200)
    phone: str = Field("", max_length=30)


class TerminalUpdateIn(In):
    name: Name


class StaffUpdateIn(In):
    display_name: Name
    role: Role
    store_ids: list[Id] = Field(default_factory=list, max_length=500)
    mobile: str = Field("", max_length=20)
