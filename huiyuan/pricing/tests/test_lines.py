"""Measuring lines: list amounts, amount-only lines, and the lines the engine refuses."""

from __future__ import annotations

import pytest

from huiyuan.pricing import PricingError, Reason, price_basket
from huiyuan.pricing.tests.builders import basket, context, fuel, line


def priced(*lines):
    return price_basket(basket(*lines), context=context())


def test_list_amount_is_price_times_quantity_rounded_half_up():
    result = priced(
        line(1, unit_price_fen=789, quantity_milli=12345, divisible=True),  # 9740.205
        line(2, unit_price_fen=333, quantity_milli=1500, divisible=True),  # 499.5
        line(3, unit_price_fen=350, quantity_milli=3000),
    )
    assert [x.list_fen for x in result.lines] == [9740, 500, 1050]
    assert result.list_fen == result.payable_fen == result.external_fen == 11290
    assert result.discount_fen == 0


def test_amount_only_line_derives_litres_rounded_down_and_lists_the_amount():
    result = priced(fuel(amount_fen=20_000, price_fen=789))
    only = result.lines[0]
    assert only.quantity_milli == 25_348  # 25.34854… L
    assert only.list_fen == only.payable_fen == 20_000
    assert only.notes == (
        Reason(
            "line.amount_only",
            {"amount_fen": 20_000, "unit_price_fen": 789, "quantity_milli": 25_348, "unit": "升"},
        ),
    )


def test_empty_basket_costs_nothing():
    result = priced()
    assert (result.list_fen, result.payable_fen, result.points_max) == (0, 0, 0)
    assert result.lines == () and result.points_eligible == ()


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (line(quantity_milli=0), "invalid_quantity"),
        (line(quantity_milli=-1000), "invalid_quantity"),
        (line(quantity_milli=1500), "fractional_quantity"),
        (line(unit_price_fen=-1), "invalid_price"),
        (line(quantity_milli=None), "invalid_line"),
        (line(quantity_milli=1000, amount_fen=500, divisible=True), "invalid_line"),
        (line(amount_fen=500), "amount_only_not_divisible"),
        (fuel(amount_fen=0), "invalid_amount"),
        (fuel(amount_fen=500, price_fen=0), "invalid_amount"),
        (fuel(amount_fen=1, price_fen=2000), "amount_too_small"),
    ],
)
def test_refused_lines(bad, code):
    with pytest.raises(PricingError) as refused:
        priced(bad)
    assert refused.value.code == code
    assert refused.value.params == {"line_id": 1}


def test_a_line_id_twice_is_refused():
    with pytest.raises(PricingError) as refused:
        priced(line(1), line(1, product_id=5))
    assert refused.value.code == "duplicate_line"
