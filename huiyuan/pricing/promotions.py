"""Dated promotions: which ones cover a line today, which one it gets, what it is worth.

A line gets at most one promotion: among those that apply, the lowest ``priority``; at
equal priority the one worth more to the customer; then the lowest id. What a promotion
is worth is compared exactly (as a fraction of a fen), before any rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from huiyuan.pricing.errors import PricingError
from huiyuan.pricing.inputs import (
    FULL_PRICE,
    MILLI,
    Line,
    PricingContext,
    Promotion,
    PromotionKind,
    Stacking,
)


def validate(promotion: Promotion) -> None:
    """Refuse a promotion whose numbers make no sense (they come from configuration)."""
    valid = (
        promotion.kind in set(PromotionKind)
        and promotion.stacking in set(Stacking)
        and promotion.value >= 0
        and not (promotion.kind == PromotionKind.PERCENT_OFF and promotion.value > FULL_PRICE)
        and all(1 <= day <= 7 for day in promotion.weekdays)
        and all(start <= end for start, end in promotion.date_ranges)
    )
    if not valid:
        raise PricingError("invalid_rule", rule=promotion.code, version=promotion.version)


def covers(promotion: Promotion, line: Line) -> bool:
    """The promotion's product/category scope includes the line (stores and dates aside)."""
    if not promotion.product_ids and not promotion.category_codes:
        return True
    if line.product_id in promotion.product_ids:
        return True
    return any(code in promotion.category_codes for code in line.category_path)


def unavailable_reason(promotion: Promotion, context: PricingContext) -> str | None:
    """None when the promotion runs at this store at this time; otherwise why not."""
    if promotion.store_ids and context.store_id not in promotion.store_ids:
        return "other_stores"
    at = context.local_at
    if promotion.effective_from is not None and at < promotion.effective_from:
        return "not_in_effect"
    if promotion.effective_to is not None and at >= promotion.effective_to:
        return "not_in_effect"
    day = context.local_date
    if promotion.date_ranges and not any(
        start <= day <= end for start, end in promotion.date_ranges
    ):
        return "other_dates"
    if promotion.weekdays or promotion.on_holidays:
        on_weekday = context.weekday in promotion.weekdays
        on_holiday = promotion.on_holidays and day in context.holidays
        if not (on_weekday or on_holiday):
            return "other_days"
    return None


def exact_discount(promotion: Promotion, list_fen: int, quantity_milli: int) -> Fraction:
    """What the promotion takes off the line, exactly, never more than the line's amount."""
    if promotion.kind == PromotionKind.PERCENT_OFF:
        return Fraction(list_fen * (FULL_PRICE - promotion.value), FULL_PRICE)
    if promotion.kind == PromotionKind.AMOUNT_OFF_PER_UNIT:
        return min(Fraction(list_fen), Fraction(promotion.value * quantity_milli, MILLI))
    at_promotion_price = Fraction(promotion.value * quantity_milli, MILLI)
    return max(Fraction(0), Fraction(list_fen) - at_promotion_price)


def choose(
    candidates: Sequence[Promotion], list_fen: int, quantity_milli: int
) -> tuple[Promotion, Fraction] | None:
    """The promotion a line gets among those that apply to it, with its exact worth."""
    best: tuple[tuple[int, Fraction, int, int], Promotion, Fraction] | None = None
    for promotion in candidates:
        worth = exact_discount(promotion, list_fen, quantity_milli)
        if worth <= 0:
            continue
        rank = (promotion.priority, -worth, promotion.id, -promotion.version)
        if best is None or rank < best[0]:
            best = (rank, promotion, worth)
    return None if best is None else (best[1], best[2])
