"""What the engine is given: a basket, a member snapshot, a context, rules, a payment request.

Everything is a frozen dataclass of plain values that the checkout service loads from the
database (under the member's lock) before calling ``price_basket``. Units:

- money in integer fen;
- quantities in integer thousandths of the product's unit (``quantity_milli``): 2 pieces
  are ``2000``, 12.345 L is ``12345``;
- rates as the price paid in permille, the way tiers already store it: ``950`` is 95折
  (5% off), ``1000`` is no discount;
- weekdays as ISO numbers, Monday ``1`` … Sunday ``7``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

MILLI = 1000  # quantity_milli of one whole unit
FULL_PRICE = 1000  # paid permille of no discount


@dataclass(frozen=True)
class BundleItem:
    """One product inside a bundle (套餐), for one bundle."""

    product_id: int
    sku: str
    quantity_milli: int  # per bundle
    unit_price_fen: int  # the item's own list price, the weight of its share
    name: str = ""


@dataclass(frozen=True)
class Line:
    """One basket line: a quantity at a unit price, or an amount (fuel grade + ¥200).

    Give exactly one of ``quantity_milli`` (an ordinary line) and ``amount_fen`` (an
    amount-only line). An amount-only line's quantity is ``amount × 1000 ÷ unit price``
    rounded down to the thousandth (the customer never gets more than was paid for); its
    list amount is exactly the amount entered. An ordinary line's list amount is
    ``unit price × quantity ÷ 1000`` rounded half up to the fen.
    A bundle is a line whose ``unit_price_fen`` is the bundle's own price and whose
    ``bundle_items`` list what one bundle holds.
    """

    line_id: int
    product_id: int
    sku: str
    unit_price_fen: int
    quantity_milli: int | None = None
    amount_fen: int | None = None
    category_path: tuple[str, ...] = ()  # category codes, most general first
    category_names: tuple[str, ...] = ()  # the same categories' names, for reasons
    name: str = ""
    unit: str = ""  # 件, 升, kg… for reasons
    divisible: bool = False  # may be sold in fractions of a unit (fuel, loose goods)
    no_discount: bool = False  # no tier discount, no promotion (e.g. group-buy items)
    no_points: bool = False  # earns no points
    bundle_items: tuple[BundleItem, ...] = ()

    @property
    def is_amount_only(self) -> bool:
        return self.amount_fen is not None


@dataclass(frozen=True)
class Basket:
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class TierTerms:
    """A member's tier as pricing sees it: a paid permille per category, with a default."""

    code: str
    name: str = ""
    id: int | None = None
    version: int = 1
    paid_permille: int = FULL_PRICE  # categories not listed below
    by_category: Mapping[str, int] = field(default_factory=dict)  # category code → ‰


@dataclass(frozen=True)
class BenefitTerms:
    """A paid benefit card (权益卡) the member holds, as pricing sees it.

    An extra paid permille on what a line still costs after the promotion and the tier
    rate (``by_category``: the most specific category on the line's path that it lists,
    else ``paid_permille``), and member-only unit prices by product id: a member price
    replaces the promotion, the tier rate and the extra rate on its line.
    """

    code: str
    name: str = ""
    id: int | None = None
    version: int = 1
    paid_permille: int = FULL_PRICE
    by_category: Mapping[str, int] = field(default_factory=dict)  # category code → ‰
    member_prices: Mapping[int, int] = field(default_factory=dict)  # product id → unit fen
    points_multiplier_pct: int = 100  # carried for the earn rules; the engine ignores it


@dataclass(frozen=True)
class MemberSnapshot:
    """The member's state read under the member's lock; ``None`` in a walk-in sale."""

    member_id: int | None = None
    tier: TierTerms | None = None
    benefit: BenefitTerms | None = None  # the benefit card in force, fed by checkout
    points_available: int = 0
    principal_available: int = 0
    bonus_available: int = 0  # unexpired bonus only
    spend_frozen: bool = False
    earn_frozen: bool = False


@dataclass(frozen=True)
class PricingContext:
    """Where and when: the store's local time decides weekday, date and holiday."""

    store_id: int | None
    local_at: dt.datetime  # the store's local time (Asia/Shanghai by default)
    holidays: frozenset[dt.date] = frozenset()
    terminal_id: int | None = None

    @property
    def local_date(self) -> dt.date:
        return self.local_at.date()

    @property
    def weekday(self) -> int:
        return self.local_at.isoweekday()


class PromotionKind(StrEnum):
    PERCENT_OFF = "percent_off"  # value: price paid in permille (900 = 9折)
    AMOUNT_OFF_PER_UNIT = "amount_off_per_unit"  # value: fen off per whole unit (30 = -¥0.30/L)
    FIXED_UNIT_PRICE = "fixed_unit_price"  # value: the unit price in fen while it runs


class Stacking(StrEnum):
    """How a promotion meets the member's tier discount on the same line."""

    BEST_OF = "best_of"  # the larger of the two, not both (ties go to the promotion)
    STACK = "stack"  # the promotion first, then the tier rate on what is left
    EXCLUSIVE = "exclusive"  # the promotion only, even where the tier would give more


@dataclass(frozen=True)
class Promotion:
    """A dated promotion as data, versioned so a sale can be re-explained later.

    Scope: a line is covered when its product is in ``product_ids`` or any category on its
    path is in ``category_codes`` (both empty: every product), at one of ``store_ids``
    (empty: every store). Schedule: inside ``effective_from``/``effective_to`` (datetimes,
    to exclusive), inside one of ``date_ranges`` (inclusive local dates; empty: any date),
    and, when ``weekdays`` or ``on_holidays`` is set, on one of those weekdays or on a
    holiday.
    """

    id: int
    version: int
    code: str
    name: str
    kind: PromotionKind
    value: int
    product_ids: frozenset[int] = frozenset()
    category_codes: frozenset[str] = frozenset()
    store_ids: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()
    on_holidays: bool = False
    date_ranges: tuple[tuple[dt.date, dt.date], ...] = ()
    effective_from: dt.datetime | None = None
    effective_to: dt.datetime | None = None
    priority: int = 100  # lower first; see ``promotions.choose``
    stacking: Stacking = Stacking.BEST_OF


class SpendOrder(StrEnum):
    """The same values as ``WalletPolicy.SpendOrder``."""

    PRINCIPAL_FIRST = "principal_first"
    BONUS_FIRST = "bonus_first"
    PROPORTIONAL = "proportional"


@dataclass(frozen=True)
class PaymentPolicy:
    """``PointsPolicy`` and ``WalletPolicy`` as pricing needs them."""

    points_per_yuan: int = 100
    max_offset_percent: int = 50
    spend_order: SpendOrder = SpendOrder.PRINCIPAL_FIRST


@dataclass(frozen=True)
class PaymentRequest:
    """What the customer asks to pay with; the rest is external (cash, card, WeChat…)."""

    points: int = 0  # to offset
    balance_fen: int = 0  # from stored value, principal and bonus together
    policy: PaymentPolicy = PaymentPolicy()
