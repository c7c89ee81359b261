"""Tier discount per category: the most specific category wins; one rounding per subtotal."""

from __future__ import annotations

import pytest

from huiyuan.pricing import PricingError, Reason, RuleRef, price_basket
from huiyuan.pricing.tests.builders import basket, context, fuel, line, member, tier


def priced(*lines, terms=None):
    return price_basket(basket(*lines), context=context(), member=member(tier=terms))


def test_default_rate_matches_the_quick_sale():
    # The quick sale charged amount × 950 // 1000: 999 → 949.
    result = priced(line(unit_price_fen=999), terms=tier(950))
    only = result.lines[0]
    assert (only.list_fen, only.discount_fen, only.payable_fen) == (999, 50, 949)
    (adjustment,) = only.adjustments
    assert adjustment.rule == RuleRef("tier", 3, 1, "gold")
    assert adjustment.amount_fen == 50
    assert adjustment.reason == Reason(
        "tier.rate",
        {
            "tier": "gold",
            "tier_name": "金卡",
            "category": "",
            "category_name": "",
            "paid_permille": 950,
            "base_fen": 999,
            "subtotal_fen": 999,
            "group_discount_fen": 50,
            "amount_fen": 50,
        },
    )


def test_most_specific_category_wins():
    terms = tier(950, by_category={"fuel": 980, "petrol": 970, "drink": 900})
    result = priced(
        fuel(1, amount_fen=10_000),  # petrol: 97%
        line(2, unit_price_fen=10_000, category_path=("fuel", "diesel")),  # fuel: 98%
        line(3, unit_price_fen=10_000, category_path=("shop", "snack")),  # default: 95%
        terms=terms,
    )
    assert [x.discount_fen for x in result.lines] == [300, 200, 500]
    petrol = result.lines[0].adjustments[0].reason.params
    assert (petrol["category"], petrol["category_name"], petrol["paid_permille"]) == (
        "petrol",
        "汽油",
        970,
    )


def test_a_rate_is_rounded_once_per_subtotal_and_allocated_by_largest_remainder():
    # Three lines of ¥1.01 at 95折: 5.05 fen each, 15.15 for the three → 16 fen (rounded
    # in the member's favour once), not 6 + 6 + 6. The odd fen goes to the first line.
    result = priced(
        line(1, unit_price_fen=101),
        line(2, unit_price_fen=101),
        line(3, unit_price_fen=101),
        terms=tier(950),
    )
    assert [x.discount_fen for x in result.lines] == [6, 5, 5]
    assert result.discount_fen == 16
    assert result.payable_fen == 303 - 16


def test_largest_remainder_beats_order():
    # 95折 on 1050 + 2000: 152.5 → 153; shares 52.67 and 100.33 → 53 and 100.
    result = priced(line(1, unit_price_fen=1050), line(2, unit_price_fen=2000), terms=tier(950))
    assert [x.discount_fen for x in result.lines] == [53, 100]


def test_no_discount_line_keeps_its_price():
    result = priced(line(1, no_discount=True), line(2), terms=tier(900))
    assert [x.discount_fen for x in result.lines] == [0, 100]
    assert result.lines[0].notes == (Reason("line.no_discount"),)


def test_walk_in_and_full_price_tier_give_nothing():
    assert price_basket(basket(line()), context=context()).discount_fen == 0
    assert priced(line(), terms=tier(1000)).lines[0].adjustments == ()


def test_rate_out_of_range_is_refused():
    with pytest.raises(PricingError) as refused:
        priced(line(), terms=tier(1001))
    assert refused.value.code == "invalid_rule"
