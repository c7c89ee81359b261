"""Partial returns give back exactly what the returned part carried."""

from __future__ import annotations

import pytest

from huiyuan.pricing import (
    LineAmounts,
    PaymentRequest,
    PricingError,
    allocate_earned_points,
    line_refund,
    price_basket,
)
from huiyuan.pricing.tests.builders import basket, context, line, member, tier

SOLD = LineAmounts(
    quantity_milli=3000,
    list_fen=3000,
    discount_fen=100,
    points_offset_fen=500,
    points_used=500,
    principal_fen=1000,
    bonus_fen=400,
    external_fen=1000,
    points_eligible_fen=2000,
    points_earned=20,
)


def test_thirds_add_up_to_the_whole():
    parts = [
        line_refund(SOLD, returned_before_milli=0, returning_milli=1000),
        line_refund(SOLD, returned_before_milli=1000, returning_milli=1000),
        line_refund(SOLD, returned_before_milli=2000, returning_milli=1000),
    ]
    assert [p.principal_fen for p in parts] == [333, 333, 334]
    assert [p.discount_fen for p in parts] == [33, 33, 34]
    assert [p.points_earned for p in parts] == [6, 7, 7]
    assert [p.list_fen for p in parts] == [p.payable_fen + p.discount_fen for p in parts]
    for field in LineAmounts.__dataclass_fields__:
        assert sum(getattr(p, field) for p in parts) == getattr(SOLD, field)


def test_full_return_at_once_is_the_line():
    assert line_refund(SOLD, returned_before_milli=0, returning_milli=3000) == SOLD


@pytest.mark.parametrize(
    ("before", "now", "code"),
    [
        (0, 0, "invalid_quantity"),
        (2000, 1001, "return_exceeds_sold"),
        (-1, 1, "return_exceeds_sold"),
    ],
)
def test_refused_returns(before, now, code):
    with pytest.raises(PricingError) as refused:
        line_refund(SOLD, returned_before_milli=before, returning_milli=now)
    assert refused.value.code == code


def test_priced_line_amounts_feed_a_return():
    result = price_basket(
        basket(line(quantity_milli=3000)),
        context=context(),
        member=member(tier=tier(950), principal_available=2000),
        payment=PaymentRequest(balance_fen=1000),
    )
    amounts = result.lines[0].amounts()
    assert (amounts.list_fen, amounts.discount_fen, amounts.principal_fen) == (3000, 150, 1000)
    assert amounts.payable_fen == result.payable_fen == 2850


def test_earned_points_are_shared_by_eligible_amount():
    result = price_basket(
        basket(
            line(1, unit_price_fen=1000, category_path=("shop", "drink")),
            line(2, unit_price_fen=2000, category_path=("shop", "drink")),
            line(3, unit_price_fen=500, category_path=("fuel",)),
            line(4, unit_price_fen=500, no_points=True),
        ),
        context=context(),
    )
    shares = allocate_earned_points(result, {("shop", "drink"): 31, ("fuel",): 5})
    assert shares == {1: 10, 2: 21, 3: 5, 4: 0}
