"""Coupons: the member's chosen coupons applied after promotions and the tier rate.

Declared rules (see ``docs/coupons.md``):

1. **Eligibility** is decided on the basket as promotions and the tier left it, before any
   coupon, so whether a coupon applies never depends on the other coupons chosen: the
   coupon must be valid today (``valid_from``/``valid_to``, inclusive local dates), at one
   of its stores, on one of its weekdays, for one of its tiers (each empty: any), and the
   lines it covers (its products or categories, not ``no_discount``; none named: every
   line) must come to at least ``min_spend_fen`` (满减's threshold). A gift coupon needs its
   product in the basket.
2. **Stacking**: an exclusive coupon (``group == ""``) is used alone; the others stack
   with coupons of other groups, at most one coupon per group; a coupon once.
3. **Order**: gift, then percentage, then threshold and cash, by id within a kind; each
   applies to what its lines still cost after the coupons before it.
4. **Amounts**: cash and threshold take ``value`` fen off (at most what the lines cost); a
   percentage takes ``(1000 − value)‰`` rounded up to the fen, at most ``cap_fen`` (0: no
   cap); a gift makes one unit of its product free (the whole line when it holds at most
   one unit), rounded up to the fen. A coupon's amount is allocated to its lines by
   largest remainder in proportion to what they still cost, ties to the earlier line, so
   a partial return refunds its share exactly (``line_refund``).

``best_combination`` proposes the allowed combination worth the most; ties go to fewer
coupons, then to those expiring sooner, then to the lowest ids.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from huiyuan.pricing.allocation import allocate, ceil_div
from huiyuan.pricing.errors import PricingError
from huiyuan.pricing.inputs import FULL_PRICE, MILLI, Line, MemberSnapshot, PricingContext
from huiyuan.pricing.outputs import Adjustment, Param, Reason, RuleRef

MAX_COUPONS = 5  # at most this many coupons on one sale
MAX_EVALUATIONS = 4096  # combinations priced by ``best_combination`` at most
NEVER = dt.date.max


class CouponKind(StrEnum):
    CASH = "cash"  # 代金券: value fen off
    THRESHOLD = "threshold"  # 满减: value fen off from min_spend_fen
    PERCENT = "percent"  # 折扣券: value is the price paid in permille, cap_fen at most
    GIFT = "gift"  # 兑换券: one unit of gift_product_id free


_ORDER = {CouponKind.GIFT: 0, CouponKind.PERCENT: 1, CouponKind.THRESHOLD: 2, CouponKind.CASH: 2}


@dataclass(frozen=True)
class CouponTerms:
    """One coupon the member holds, with its template's terms, as plain values."""

    id: int
    code: str
    name: str
    kind: CouponKind
    value: int = 0
    min_spend_fen: int = 0
    cap_fen: int = 0  # percentage only; 0: no cap
    gift_product_id: int | None = None
    product_ids: frozenset[int] = frozenset()
    category_codes: frozenset[str] = frozenset()
    store_ids: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()
    tier_codes: frozenset[str] = frozenset()
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    group: str = ""  # "" : exclusive; otherwise stacks with other groups
    template_id: int = 0
    version: int = 1

    @property
    def exclusive(self) -> bool:
        return not self.group


@dataclass(frozen=True)
class CouponLine:
    """What the coupon step sees of a line: the line and what it still costs."""

    line: Line
    quantity_milli: int
    payable_fen: int


@dataclass
class CouponResult:
    """Per line, the coupon adjustments (in ``lines`` order); and the total per coupon."""

    adjustments: list[list[Adjustment]] = field(default_factory=list)
    by_coupon: dict[int, int] = field(default_factory=dict)

    @property
    def total_fen(self) -> int:
        return sum(self.by_coupon.values())


def validate(coupon: CouponTerms) -> None:
    bad = coupon.value < 0 or coupon.min_spend_fen < 0 or coupon.cap_fen < 0
    if coupon.kind == CouponKind.PERCENT and not 0 <= coupon.value < FULL_PRICE:
        bad = True
    if coupon.kind == CouponKind.GIFT and coupon.gift_product_id is None:
        bad = True
    if bad:
        raise PricingError("invalid_rule", rule=coupon.code, version=coupon.version)


def _covers(coupon: CouponTerms, line: Line) -> bool:
    if line.no_discount:
        return False
    if coupon.kind == CouponKind.GIFT:
        return line.product_id == coupon.gift_product_id
    if not coupon.product_ids and not coupon.category_codes:
        return True
    return line.product_id in coupon.product_ids or any(
        code in coupon.category_codes for code in line.category_path
    )


def why_not(
    coupon: CouponTerms,
    lines: Sequence[CouponLine],
    context: PricingContext,
    member: MemberSnapshot | None,
) -> str | None:
    """Why ``coupon`` does not apply to this basket (a stable word), or None when it does."""
    today = context.local_date
    if coupon.valid_from is not None and today < coupon.valid_from:
        return "not_yet_valid"
    if coupon.valid_to is not None and today > coupon.valid_to:
        return "expired"
    if coupon.store_ids and context.store_id not in coupon.store_ids:
        return "other_store"
    if coupon.weekdays and context.weekday not in coupon.weekdays:
        return "other_day"
    if coupon.tier_codes:
        tier = member.tier if member is not None else None
        if tier is None or tier.code not in coupon.tier_codes:
            return "other_tier"
    covered = [item for item in lines if _covers(coupon, item.line)]
    if not covered:
        return "gift_missing" if coupon.kind == CouponKind.GIFT else "no_line"
    if sum(item.payable_fen for item in covered) < max(coupon.min_spend_fen, 1):
        return "below_min_spend"
    return None


def check_combination(coupons: Sequence[CouponTerms]) -> str | None:
    """Why these coupons may not be used together, or None when they may."""
    ids = [c.id for c in coupons]
    if len(set(ids)) != len(ids):
        return "duplicate"
    if len(coupons) > MAX_COUPONS:
        return "too_many"
    if len(coupons) > 1 and any(c.exclusive for c in coupons):
        return "exclusive"
    groups = [c.group for c in coupons]
    if len(set(groups)) != len(groups):
        return "same_group"
    return None


def _amount(coupon: CouponTerms, bases: Sequence[int], items: Sequence[CouponLine]) -> int:
    base = sum(bases)
    if coupon.kind in (CouponKind.CASH, CouponKind.THRESHOLD):
        return min(coupon.value, base)
    if coupon.kind == CouponKind.PERCENT:
        amount = ceil_div(base * (FULL_PRICE - coupon.value), FULL_PRICE)
        return min(amount, coupon.cap_fen, base) if coupon.cap_fen else min(amount, base)
    # gift: one unit of the first line holding the product
    item = items[0]
    if item.quantity_milli <= MILLI:
        return bases[0]
    return min(bases[0], ceil_div(bases[0] * MILLI, item.quantity_milli))


def _reason(coupon: CouponTerms, amount: int, share: int, item: CouponLine) -> Reason:
    params: dict[str, Param] = {
        "coupon": coupon.code,
        "name": coupon.name,
        "kind": str(coupon.kind),
        "value": coupon.value,
        "min_spend_fen": coupon.min_spend_fen,
        "cap_fen": coupon.cap_fen,
        "product": item.line.name,
        "coupon_discount_fen": amount,
        "amount_fen": share,
    }
    return Reason(f"coupon.{coupon.kind}", params)


def apply_coupons(
    lines: Sequence[CouponLine],
    coupons: Sequence[CouponTerms],
    *,
    context: PricingContext,
    member: MemberSnapshot | None,
) -> CouponResult:
    """Apply ``coupons`` (all of them, or refuse) to ``lines``; see the module docstring."""
    for coupon in coupons:
        validate(coupon)
    refused = check_combination(coupons)
    if refused is not None:
        raise PricingError("coupon_combination", why=refused)
    for coupon in coupons:
        reason = why_not(coupon, lines, context, member)
        if reason is not None:
            raise PricingError("coupon_not_applicable", coupon=coupon.code, why=reason)
    result = CouponResult(adjustments=[[] for _ in lines])
    payable = [item.payable_fen for item in lines]
    for coupon in sorted(coupons, key=lambda c: (_ORDER[c.kind], c.id)):
        indexes = [i for i, item in enumerate(lines) if _covers(coupon, item.line)]
        if coupon.kind == CouponKind.GIFT:
            indexes = indexes[:1]
        bases = [payable[i] for i in indexes]
        amount = _amount(coupon, bases, [lines[i] for i in indexes])
        shares = [amount] if coupon.kind == CouponKind.GIFT else allocate(amount, bases)
        rule = RuleRef("coupon", coupon.id, coupon.version, coupon.code)
        for index, share in zip(indexes, shares, strict=True):
            if share <= 0:
                continue
            payable[index] -= share
            result.adjustments[index].append(
                Adjustment(rule, share, _reason(coupon, amount, share, lines[index]))
            )
        result.by_coupon[coupon.id] = amount
    return result


def applicable(
    lines: Sequence[CouponLine],
    coupons: Sequence[CouponTerms],
    *,
    context: PricingContext,
    member: MemberSnapshot | None,
) -> dict[int, str | None]:
    """Each coupon's ``why_not`` (None: it applies to this basket on its own)."""
    for coupon in coupons:
        validate(coupon)
    return {c.id: why_not(c, lines, context, member) for c in coupons}


def combination_key(
    coupons: Sequence[CouponTerms], total_fen: int
) -> tuple[int, int, tuple[dt.date, ...], tuple[int, ...]]:
    """Smaller is better: most discount, then fewer coupons, sooner expiry, lower ids."""
    return (
        -total_fen,
        len(coupons),
        tuple(sorted(c.valid_to or NEVER for c in coupons)),
        tuple(sorted(c.id for c in coupons)),
    )


def _candidates(usable: Sequence[CouponTerms]) -> list[tuple[CouponTerms, ...]]:
    """Every allowed combination: each exclusive coupon alone, and at most one coupon per
    group among the stackable ones (limited to ``MAX_EVALUATIONS``, keeping the groups'
    coupons in id order)."""
    combos: list[tuple[CouponTerms, ...]] = [(c,) for c in usable if c.exclusive]
    groups: dict[str, list[CouponTerms]] = {}
    for coupon in usable:
        if not coupon.exclusive:
            groups.setdefault(coupon.group, []).append(coupon)
    choices = [[None, *members] for _, members in sorted(groups.items())]
    for picked in itertools.product(*choices):
        combo = tuple(c for c in picked if c is not None)
        if combo and len(combo) <= MAX_COUPONS:
            combos.append(combo)
        if len(combos) >= MAX_EVALUATIONS:
            break
    return combos


def best_combination(
    lines: Sequence[CouponLine],
    coupons: Sequence[CouponTerms],
    *,
    context: PricingContext,
    member: MemberSnapshot | None,
) -> tuple[tuple[CouponTerms, ...], int]:
    """The allowed combination of ``coupons`` worth the most on this basket, and its worth.

    Only the coupons that apply on their own are considered; each combination is priced
    exactly by ``apply_coupons`` (amounts do not simply add up: a percentage after a cash
    coupon, caps, a basket worth less than the coupons). ``((), 0)`` when none applies.
    """
    verdicts = applicable(lines, coupons, context=context, member=member)
    usable = sorted((c for c in coupons if verdicts[c.id] is None), key=lambda c: c.id)
    best: tuple[CouponTerms, ...] = ()
    best_key = combination_key((), 0)
    for combo in _candidates(usable):
        total = apply_coupons(lines, combo, context=context, member=member).total_fen
        key = combination_key(combo, total)
        if total > 0 and key < best_key:
            best, best_key = tuple(sorted(combo, key=lambda c: c.id)), key
    return best, -best_key[0]
