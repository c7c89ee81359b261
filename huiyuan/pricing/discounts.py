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


def tier_rate(tier: TierTerms, line: Line) -> _TierRate:
    """The rate of the most specific category on the line's path, else the default."""
    for index in range(len(line.category_path) - 1, -1, -1):
        code = line.category_path[index]
        if code in tier.by_category:
            name = line.category_names[index] if index < len(line.category_names) else ""
            return _TierRate(tier.by_category[code], code, name or code)
    return _TierRate(tier.paid_permille, "", "")


def _validate_tier(tier: TierTerms) -> None:
    rates = [tier.paid_permille, *tier.by_category.values()]
    if any(not 0 <= rate <= FULL_PRICE for rate in rates):
        raise PricingError("invalid_rule", rule=tier.code, version=tier.version)


def _decide(
    item: Measured,
    tier: TierTerms | None,
    promotions: Sequence[Promotion],
    context: PricingContext,
    notes: list[Reason],
) -> _Decision:
    line = item.line
    if line.no_discount:
        notes.append(Reason("line.no_discount"))
        return _Decision(None, None)
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
    out = [LineDiscounts() for _ in measured]
    decisions = [
        _decide(item, tier, promotions, context, out[index].notes)
        for index, item in enumerate(measured)
    ]
    promotion_amounts = _apply_promotions(measured, decisions, out)
    if tier is not None:
        _apply_tier(tier, measured, decisions, promotion_amounts, out)
    return out
