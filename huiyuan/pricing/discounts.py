"""Discounts: the promotion and the tier rate each line gets, rounded and allocated.

Declared order and rounding:

1. Per line, decide (on exact values, before rounding) which promotion applies and
   whether the tier rate applies too: ``Stacking.BEST_OF`` keeps the larger of the two
   (a tie goes to the promotion), ``STACK`` applies the tier rate after the promotion,
   ``EXCLUSIVE`` keeps the promotion only. A ``no_discount`` line gets neither.
2. Promotions: an amount off per unit or a fixed unit price is computed per line; a
   percentage is applied once to the subtotal of the lines it covers. The tier rate is
   applied once to the subtotal of the lines that share the rate and the category it was
   found on. The tier rate of a line is the one of the most specific category on its path
   that the tier lists, else the tier's default.
3. Every discount is rounded up to the fen (the customer never pays a fraction of a fen
   more than the exact price) and never exceeds the amount it applies to; a subtotal's
   discount is allocated to its lines by largest remainder in proportion to their
   amounts, ties to the earlier line.
4. A benefit card (``BenefitTerms``): a member-only unit price of the line's product, when
   below its unit price, replaces the promotion and the tier rate on that line (its
   discount is ``(unit price − member price) × quantity``, rounded up to the fen). On the
   other lines the card's extra rate (its category's, else its default) applies last, to
   what each line still costs after the promotion and the tier rate, per (rate, category)
   subtotal, rounded and allocated like the tier rate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from huiyuan.pricing import promotions as promotion_rules
from huiyuan.pricing.allocation import allocate, ceil_div
from huiyuan.pricing.errors import PricingError
from huiyuan.pricing.inputs import (
    FULL_PRICE,
    BenefitTerms,
    Line,
    MemberSnapshot,
    PricingContext,
    Promotion,
    PromotionKind,
    Stacking,
    TierTerms,
)
from huiyuan.pricing.outputs import Adjustment, Param, Reason, RuleRef

SCHEDULE_MISSES = ("other_dates", "other_days")


@dataclass(frozen=True)
class Measured:
    """A line with its quantity and list amount settled."""

    line: Line
    quantity_milli: int
    list_fen: int


@dataclass
class LineDiscounts:
    adjustments: list[Adjustment] = field(default_factory=list)
    notes: list[Reason] = field(default_factory=list)

    @property
    def total_fen(self) -> int:
        return sum(adjustment.amount_fen for adjustment in self.adjustments)


@dataclass(frozen=True)
class _TierRate:
    paid_permille: int
    category: str  # the category code the rate was found on; '' for the tier's default
    category_name: str


@dataclass(frozen=True)
class _Decision:
    promotion: Promotion | None
    tier: _TierRate | None  # None when the tier rate does not apply to this line
    member_price: int | None = None  # a benefit card's member-only unit price


def tier_rate(tier: TierTerms | BenefitTerms, line: Line) -> _TierRate:
    """The rate of the most specific category on the line's path, else the default."""
    for index in range(len(line.category_path) - 1, -1, -1):
        code = line.category_path[index]
        if code in tier.by_category:
            name = line.category_names[index] if index < len(line.category_names) else ""
            return _TierRate(tier.by_category[code], code, name or code)
    return _TierRate(tier.paid_permille, "", "")


def _validate_tier(tier: TierTerms | BenefitTerms) -> None:
    rates = [tier.paid_permille, *tier.by_category.values()]
    if any(not 0 <= rate <= FULL_PRICE for rate in rates):
        raise PricingError("invalid_rule", rule=tier.code, version=tier.version)
    if isinstance(tier, BenefitTerms) and any(p < 0 for p in tier.member_prices.values()):
        raise PricingError("invalid_rule", rule=tier.code, version=tier.version)


def _member_price(benefit: BenefitTerms | None, line: Line) -> int | None:
    if benefit is None or line.bundle_items:
        return None
    price = benefit.member_prices.get(line.product_id)
    return price if price is not None and price < line.unit_price_fen else None


def _decide(
    item: Measured,
    tier: TierTerms | None,
    promotions: Sequence[Promotion],
    context: PricingContext,
    notes: list[Reason],
    benefit: BenefitTerms | None = None,
) -> _Decision:
    line = item.line
    if line.no_discount:
        notes.append(Reason("line.no_discount"))
        return _Decision(None, None)
    member_price = _member_price(benefit, line)
    if member_price is not None:
        return _Decision(None, None, member_price)
    applicable = []
    for promotion in promotions:
        if not promotion_rules.covers(promotion, line):
            continue
        why_not = promotion_rules.unavailable_reason(promotion, context)
        if why_not is None:
            applicable.append(promotion)
        elif why_not in SCHEDULE_MISSES:
            notes.append(
                Reason(
                    "promotion.not_today",
                    {"promotion": promotion.code, "name": promotion.name, "why": why_not},
                )
            )
    chosen = promotion_rules.choose(applicable, item.list_fen, item.quantity_milli)
    rate = tier_rate(tier, line) if tier is not None else None
    if rate is not None and rate.paid_permille == FULL_PRICE:
        rate = None
    if chosen is None:
        return _Decision(None, rate)
    promotion, promotion_worth = chosen
    if rate is None or promotion.stacking == Stacking.STACK:
        return _Decision(promotion, rate)
    assert tier is not None
    names: dict[str, Param] = {
        "promotion": promotion.code,
        "name": promotion.name,
        "tier": tier.code,
        "tier_name": tier.name or tier.code,
    }
    if promotion.stacking == Stacking.EXCLUSIVE:
        notes.append(Reason("stacking.exclusive", names))
        return _Decision(promotion, None)
    tier_worth = Fraction(item.list_fen * (FULL_PRICE - rate.paid_permille), FULL_PRICE)
    if tier_worth > promotion_worth:
        notes.append(Reason("stacking.best_of", {**names, "chosen": "tier"}))
        return _Decision(None, rate)
    notes.append(Reason("stacking.best_of", {**names, "chosen": "promotion"}))
    return _Decision(promotion, None)


def _promotion_reason(
    promotion: Promotion, item: Measured, amount: int, subtotal: int
) -> Adjustment:
    rule = RuleRef("promotion", promotion.id, promotion.version, promotion.code)
    params: dict[str, Param] = {
        "promotion": promotion.code,
        "name": promotion.name,
        "kind": str(promotion.kind),
        "value": promotion.value,
        "quantity_milli": item.quantity_milli,
        "unit": item.line.unit,
        "base_fen": item.list_fen,
        "subtotal_fen": subtotal,
        "amount_fen": amount,
    }
    return Adjustment(rule, amount, Reason(f"promotion.{promotion.kind}", params))


def _apply_promotions(
    measured: Sequence[Measured], decisions: Sequence[_Decision], out: list[LineDiscounts]
) -> list[int]:
    """Stage 1. Returns each line's promotion discount."""
    amounts = [0] * len(measured)
    subtotals = [item.list_fen for item in measured]
    groups: dict[tuple[int, int], list[int]] = {}
    for index, decision in enumerate(decisions):
        promotion = decision.promotion
        if promotion is None:
            continue
        if promotion.kind == PromotionKind.PERCENT_OFF:
            groups.setdefault((promotion.id, promotion.version), []).append(index)
            continue
        item = measured[index]
        worth = promotion_rules.exact_discount(promotion, item.list_fen, item.quantity_milli)
        amounts[index] = min(item.list_fen, math.ceil(worth))
    for indexes in groups.values():
        promotion = decisions[indexes[0]].promotion
        assert promotion is not None
        bases = [measured[i].list_fen for i in indexes]
        total = ceil_div(sum(bases) * (FULL_PRICE - promotion.value), FULL_PRICE)
        for index, share in zip(indexes, allocate(total, bases), strict=True):
            amounts[index] = share
            subtotals[index] = sum(bases)
    for index, decision in enumerate(decisions):
        if decision.promotion is not None and amounts[index] > 0:
            out[index].adjustments.append(
                _promotion_reason(
                    decision.promotion, measured[index], amounts[index], subtotals[index]
                )
            )
    return amounts


def _apply_tier(
    tier: TierTerms,
    measured: Sequence[Measured],
    decisions: Sequence[_Decision],
    promotion_amounts: Sequence[int],
    out: list[LineDiscounts],
) -> None:
    """Stage 2: the tier rate on what each line still costs, per (rate, category) subtotal."""
    groups: dict[_TierRate, list[int]] = {}
    for index, decision in enumerate(decisions):
        if decision.tier is not None:
            groups.setdefault(decision.tier, []).append(index)
    rule = RuleRef("tier", tier.id, tier.version, tier.code)
    for rate, indexes in groups.items():
        bases = [measured[i].list_fen - promotion_amounts[i] for i in indexes]
        subtotal = sum(bases)
        total = ceil_div(subtotal * (FULL_PRICE - rate.paid_permille), FULL_PRICE)
        for index, base, share in zip(indexes, bases, allocate(total, bases), strict=True):
            if share == 0:
                continue
            params: dict[str, Param] = {
                "tier": tier.code,
                "tier_name": tier.name or tier.code,
                "category": rate.category,
                "category_name": rate.category_name,
                "paid_permille": rate.paid_permille,
                "base_fen": base,
                "subtotal_fen": subtotal,
                "group_discount_fen": total,
                "amount_fen": share,
            }
            out[index].adjustments.append(Adjustment(rule, share, Reason("tier.rate", params)))


def _apply_member_prices(
    benefit: BenefitTerms,
    measured: Sequence[Measured],
    decisions: Sequence[_Decision],
    out: list[LineDiscounts],
) -> None:
    """Stage 0: a member-only unit price replaces the line's other discounts."""
    rule = RuleRef("benefit", benefit.id, benefit.version, benefit.code)
    for index, decision in enumerate(decisions):
        if decision.member_price is None:
            continue
        item = measured[index]
        exact = Fraction(
            (item.line.unit_price_fen - decision.member_price) * item.quantity_milli, FULL_PRICE
        )
        amount = min(item.list_fen, math.ceil(exact))
        if amount <= 0:
            continue
        params: dict[str, Param] = {
            "benefit": benefit.code,
            "benefit_name": benefit.name or benefit.code,
            "member_price_fen": decision.member_price,
            "unit_price_fen": item.line.unit_price_fen,
            "quantity_milli": item.quantity_milli,
            "unit": item.line.unit,
            "amount_fen": amount,
        }
        out[index].adjustments.append(
            Adjustment(rule, amount, Reason("benefit.member_price", params))
        )


def _apply_benefit_rate(
    benefit: BenefitTerms,
    measured: Sequence[Measured],
    decisions: Sequence[_Decision],
    out: list[LineDiscounts],
) -> None:
    """Stage 3: the card's extra rate on what each line still costs."""
    groups: dict[_TierRate, list[int]] = {}
    for index, item in enumerate(measured):
        if item.line.no_discount or decisions[index].member_price is not None:
            continue
        rate = tier_rate(benefit, item.line)
        if rate.paid_permille != FULL_PRICE:
            groups.setdefault(rate, []).append(index)
    rule = RuleRef("benefit", benefit.id, benefit.version, benefit.code)
    for rate, indexes in groups.items():
        bases = [measured[i].list_fen - out[i].total_fen for i in indexes]
        subtotal = sum(bases)
        total = ceil_div(subtotal * (FULL_PRICE - rate.paid_permille), FULL_PRICE)
        for index, base, share in zip(indexes, bases, allocate(total, bases), strict=True):
            if share == 0:
                continue
            params: dict[str, Param] = {
                "benefit": benefit.code,
                "benefit_name": benefit.name or benefit.code,
                "category": rate.category,
                "category_name": rate.category_name,
                "paid_permille": rate.paid_permille,
                "base_fen": base,
                "subtotal_fen": subtotal,
                "group_discount_fen": total,
                "amount_fen": share,
            }
            out[index].adjustments.append(Adjustment(rule, share, Reason("benefit.rate", params)))


def discount_lines(
    measured: Sequence[Measured],
    *,
    member: MemberSnapshot | None,
    promotions: Sequence[Promotion],
    context: PricingContext,
) -> list[LineDiscounts]:
    """Each line's discounts (adjustments in the order applied) and the notes behind them."""
    promotions = sorted(promotions, key=lambda p: (p.priority, p.id, p.version))
    for promotion in promotions:
        promotion_rules.validate(promotion)
    tier = member.tier if member is not None else None
    if tier is not None:
        _validate_tier(tier)
    benefit = member.benefit if member is not None else None
    if benefit is not None:
        _validate_tier(benefit)
    out = [LineDiscounts() for _ in measured]
    decisions = [
        _decide(item, tier, promotions, context, out[index].notes, benefit)
        for index, item in enumerate(measured)
    ]
    if benefit is not None:
        _apply_member_prices(benefit, measured, decisions, out)
    promotion_amounts = _apply_promotions(measured, decisions, out)
    if tier is not None:
        _apply_tier(tier, measured, decisions, promotion_amounts, out)
    if benefit is not None:
        _apply_benefit_rate(benefit, measured, decisions, out)
    return out
