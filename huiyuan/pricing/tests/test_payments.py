"""Paying: points offset (cap, whole fen), stored value split, external rest, per line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiyuan.pricing import (
    PaymentPolicy,
    PaymentRequest,
    PricingError,
    Reason,
    SpendOrder,
    points_max,
    price_basket,
    split_balance,
)
from huiyuan.pricing.tests.builders import basket, context, line, member

DEFAULT_POLICY = PaymentPolicy()
RICH = {"points_available": 100_000, "principal_available": 100_000, "bonus_available": 50_000}


def pay(*lines, points=0, balance=0, policy=DEFAULT_POLICY, **snapshot):
    values = {**RICH, **snapshot}
    return price_basket(
        basket(*lines),
        context=context(),
        member=member(**values),
        payment=PaymentRequest(points=points, balance_fen=balance, policy=policy),
    )


def test_points_pay_whole_fen_up_to_the_cap():
    result = pay(line(unit_price_fen=1001), points=500)  # cap: 50% of 10.01 → 5.00
    assert (result.points_used, result.points_offset_fen, result.external_fen) == (500, 500, 501)
    assert result.notes == (
        Reason(
            "payment.points_offset",
            {"points": 500, "amount_fen": 500, "points_per_yuan": 100, "max_offset_percent": 50},
        ),
    )
    with pytest.raises(PricingError) as refused:
        pay(line(unit_price_fen=1001), points=501)
    assert (refused.value.code, refused.value.params) == (
        "points_offset_too_high",
        {"max_offset_percent": 50, "cap_fen": 500},
    )


def test_points_must_make_whole_fen():
    thirty = PaymentPolicy(points_per_yuan=30)
    assert pay(line(), points=30, policy=thirty).points_offset_fen == 100
    with pytest.raises(PricingError) as refused:
        pay(line(), points=100, policy=thirty)  # 333.33 fen
    assert (refused.value.code, refused.value.params) == ("invalid_points", {"points_per_yuan": 30})


def test_points_max_respects_cap_balance_and_whole_fen():
    assert points_max(1001, 10_000, PaymentPolicy()) == 500
    thirty = PaymentPolicy(points_per_yuan=30)  # 3 points = 10 fen
    assert points_max(1001, 10_000, thirty) == 150
    assert points_max(1001, 100, thirty) == 99
    assert pay(line(unit_price_fen=1001), policy=thirty).points_max == 150
    assert pay(line(), spend_frozen=True).points_max == 0
    assert price_basket(basket(line()), context=context()).points_max == 0


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (SpendOrder.PRINCIPAL_FIRST, (1000, 500)),
        (SpendOrder.BONUS_FIRST, (0, 1500)),
        (SpendOrder.PROPORTIONAL, (1000, 500)),
    ],
)
def test_balance_split_follows_the_spend_order(order, expected):
    policy = PaymentPolicy(spend_order=order)
    result = pay(
        line(unit_price_fen=3000),
        balance=1500,
        policy=policy,
        principal_available=1000,
        bonus_available=2000,
    )
    if order == SpendOrder.PROPORTIONAL:
        # 1500 × 2000 / 3000 = 1000 from bonus, 500 from principal.
        expected = (500, 1000)
    assert (result.principal_fen, result.bonus_fen) == expected
    assert result.external_fen == 1500


def test_split_balance_examples():
    assert split_balance(SpendOrder.PRINCIPAL_FIRST, 700, 500, 500) == (500, 200)
    assert split_balance(SpendOrder.BONUS_FIRST, 700, 500, 500) == (200, 500)
    assert split_balance(SpendOrder.PROPORTIONAL, 701, 500, 500) == (351, 350)
    assert split_balance(SpendOrder.PROPORTIONAL, 0, 0, 0) == (0, 0)


def test_payments_are_allocated_to_lines_exactly():
    result = pay(
        line(1, unit_price_fen=1000),
        line(2, unit_price_fen=2000),
        points=100,
        balance=1500,
        principal_available=1000,
        bonus_available=1000,
    )
    one, two = result.lines
    assert (one.points_offset_fen, two.points_offset_fen) == (33, 67)
    assert (one.points_used, two.points_used) == (33, 67)
    assert (one.principal_fen, two.principal_fen) == (333, 667)
    assert (one.bonus_fen, two.bonus_fen) == (167, 333)
    assert (one.external_fen, two.external_fen) == (467, 933)
    assert result.external_fen == 3000 - 100 - 1500


def test_points_are_earned_on_principal_and_external_only():
    result = pay(
        line(1, unit_price_fen=1000, category_path=("shop", "drink")),
        line(2, unit_price_fen=1000, category_path=("shop", "drink")),
        line(3, unit_price_fen=1000, no_points=True),
        balance=1500,
        principal_available=600,
        bonus_available=900,
    )
    assert [x.points_eligible_fen for x in result.lines] == [700, 700, 0]
    assert result.lines[2].notes == (Reason("line.no_points"),)
    (drinks,) = result.points_eligible
    assert (drinks.category_path, drinks.category, drinks.amount_fen, drinks.line_ids) == (
        ("shop", "drink"),
        "drink",
        1400,
        (1, 2),
    )


def test_earn_frozen_member_earns_on_nothing():
    result = pay(line(), earn_frozen=True)
    assert result.points_eligible == ()
    assert Reason("points.earn_frozen") in result.notes


@pytest.mark.parametrize(
    ("request_", "snapshot", "code", "params"),
    [
        ({"points": -1}, {}, "invalid_amount", {}),
        ({"balance": 100}, {"member_id": None}, "card_required", {}),
        ({"points": 100}, {"spend_frozen": True}, "member_spend_frozen", {}),
        ({"balance": 900, "points": 200}, {}, "overpaid", {"payable_fen": 1000}),
        (
            {"points": 300},
            {"points_available": 299},
            "insufficient_points",
            {"requested": 300, "available": 299},
        ),
        (
            {"balance": 800},
            {"principal_available": 500, "bonus_available": 299},
            "insufficient_balance",
            {"requested": 800, "available": 799},
        ),
    ],
)
def test_refused_payments(request_, snapshot, code, params):
    with pytest.raises(PricingError) as refused:
        pay(line(), **request_, **snapshot)
    assert (refused.value.code, refused.value.params) == (code, params)


def test_walk_in_cannot_pay_by_points():
    with pytest.raises(PricingError) as refused:
        price_basket(basket(line()), context=context(), payment=PaymentRequest(points=100))
    assert refused.value.code == "card_required"


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(list(SpendOrder)),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
    st.data(),
)
def test_split_balance_mirrors_the_quick_sale(order, principal, bonus, data):
    """The engine's split is the one ``huiyuan.checkout.services`` has always made."""
    quick_sale = pytest.importorskip("huiyuan.checkout.services")
    amount = data.draw(st.integers(0, principal + bonus))
    assert split_balance(order, amount, principal, bonus) == quick_sale.split_balance(
        str(order), amount, principal, bonus
    )
