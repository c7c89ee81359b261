"""Coupons in the engine: amounts, reasons, allocation, stacking, and the best combination
checked against brute force over small random baskets."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiyuan.pricing import (
    CouponKind,
    CouponTerms,
    PricingError,
    combination_key,
    line_refund,
    price_basket,
    propose_coupons,
    render_reason_zh,
)
from huiyuan.pricing.coupons import check_combination
from huiyuan.pricing.tests.builders import WEDNESDAY, basket, context, line, member, tier


def coupon(coupon_id: int = 1, kind: CouponKind = CouponKind.CASH, **extra: Any) -> CouponTerms:
    values: dict[str, Any] = {"id": coupon_id, "code": f"C{coupon_id}", "name": f"券{coupon_id}"}
    values.update(extra)
    return CouponTerms(kind=kind, **values)


def test_threshold_coupon_gives_its_amount_with_a_reason_allocated_by_largest_remainder():
    lines = basket(
        line(1, unit_price_fen=6000), line(2, unit_price_fen=3000), line(3, unit_price_fen=1000)
    )
    full = coupon(1, CouponKind.THRESHOLD, name="满100减20", value=2000, min_spend_fen=10000)
    priced = price_basket(lines, context=context(), coupons=[full])
    assert priced.discount_fen == 2000
    assert [ln.discount_fen for ln in priced.lines] == [1200, 600, 200]
    adjustment = priced.lines[0].adjustments[0]
    assert adjustment.rule.kind == "coupon" and adjustment.rule.id == 1
    assert render_reason_zh(adjustment.reason) == (
        "优惠券「满100减20」满 ¥100.00 减 ¥20.00，优惠 ¥12.00"
    )


def test_threshold_below_min_spend_is_refused():
    full = coupon(1, CouponKind.THRESHOLD, value=2000, min_spend_fen=10000)
    with pytest.raises(PricingError) as info:
        price_basket(basket(line(1, unit_price_fen=9999)), context=context(), coupons=[full])
    assert info.value.code == "coupon_not_applicable"
    assert info.value.params["why"] == "below_min_spend"


def test_percent_coupon_rounds_up_and_respects_its_cap():
    lines = basket(
        line(1, unit_price_fen=101), line(2, unit_price_fen=101), line(3, unit_price_fen=101)
    )
    eighty = coupon(1, CouponKind.PERCENT, value=950)
    priced = price_basket(lines, context=context(), coupons=[eighty])
    assert [ln.discount_fen for ln in priced.lines] == [6, 5, 5]  # 15.15 → 16
    capped = coupon(2, CouponKind.PERCENT, value=500, cap_fen=3000)
    priced = price_basket(
        basket(line(1, unit_price_fen=10000)), context=context(), coupons=[capped]
    )
    assert priced.discount_fen == 3000
    assert "最多减 ¥30.00" in render_reason_zh(priced.lines[0].adjustments[0].reason)


def test_coupon_applies_after_the_tier_rate():
    snapshot = member(tier=tier(900))
    priced = price_basket(
        basket(line(1, unit_price_fen=10000)),
        context=context(),
        member=snapshot,
        coupons=[coupon(1, CouponKind.PERCENT, value=900)],
    )
    # tier 9折: 1000 off; the coupon 9折 on the 9000 left: 900 off
    assert [a.amount_fen for a in priced.lines[0].adjustments] == [1000, 900]


def test_gift_coupon_makes_one_unit_free():
    lines = basket(line(1, unit_price_fen=1500, quantity_milli=3000), line(2, unit_price_fen=800))
    gift = coupon(1, CouponKind.GIFT, name="咖啡兑换", gift_product_id=101)
    priced = price_basket(lines, context=context(), coupons=[gift])
    assert priced.lines[0].discount_fen == 1500 and priced.lines[1].discount_fen == 0
    assert render_reason_zh(priced.lines[0].adjustments[0].reason) == (
        "兑换券「咖啡兑换」免费兑换商品1一件，优惠 ¥15.00"
    )
    with pytest.raises(PricingError) as info:
        price_basket(basket(line(2)), context=context(), coupons=[gift])
    assert info.value.params["why"] == "gift_missing"


def test_conditions_store_weekday_tier_dates_and_categories():
    base = basket(line(1, unit_price_fen=5000, category_path=("food",)))
    cases = {
        "other_store": coupon(1, store_ids=frozenset({2}), value=100),
        "other_day": coupon(1, weekdays=frozenset({4}), value=100),  # WEDNESDAY is 3
        "other_tier": coupon(1, tier_codes=frozenset({"gold"}), value=100),
        "expired": coupon(1, valid_to=WEDNESDAY.date() - dt.timedelta(days=1), value=100),
        "not_yet_valid": coupon(1, valid_from=WEDNESDAY.date() + dt.timedelta(days=1), value=100),
        "no_line": coupon(1, category_codes=frozenset({"drink"}), value=100),
    }
    for why, terms in cases.items():
        with pytest.raises(PricingError) as info:
            price_basket(base, context=context(), coupons=[terms])
        assert info.value.params["why"] == why
    ok = coupon(1, valid_to=WEDNESDAY.date(), weekdays=frozenset({3}), value=100)
    assert price_basket(base, context=context(), coupons=[ok]).discount_fen == 100


def test_partial_returns_give_back_the_coupon_share_exactly():
    priced = price_basket(
        basket(line(1, unit_price_fen=333, quantity_milli=7000)),
        context=context(),
        coupons=[coupon(1, CouponKind.THRESHOLD, value=1000, min_spend_fen=2000)],
    )
    amounts = priced.lines[0].amounts()
    back = 0
    done = 0
    for piece in (2000, 1000, 4000):
        back += line_refund(amounts, returned_before_milli=done, returning_milli=piece).discount_fen
        done += piece
    assert back == 1000


def test_stacking_rules():
    assert check_combination([coupon(1), coupon(2, group="a")]) == "exclusive"
    assert check_combination([coupon(1, group="a"), coupon(2, group="a")]) == "same_group"
    assert check_combination([coupon(1, group="a"), coupon(2, group="b")]) is None
    with pytest.raises(PricingError) as info:
        price_basket(
            basket(line(1)), context=context(), coupons=[coupon(1, value=10), coupon(2, value=10)]
        )
    assert info.value.code == "coupon_combination"


# ------------------------------------------------------------ best combination vs brute


kinds = st.sampled_from(list(CouponKind))


@st.composite
def coupon_terms(draw: st.DrawFn, coupon_id: int) -> CouponTerms:
    kind = draw(kinds)
    value = {
        CouponKind.CASH: draw(st.integers(1, 3000)),
        CouponKind.THRESHOLD: draw(st.integers(1, 3000)),
        CouponKind.PERCENT: draw(st.integers(500, 990)),
        CouponKind.GIFT: 0,
    }[kind]
    return CouponTerms(
        id=coupon_id,
        code=f"C{coupon_id}",
        name=f"券{coupon_id}",
        kind=kind,
        value=value,
        min_spend_fen=draw(st.sampled_from([0, 0, 1000, 5000])),
        cap_fen=draw(st.sampled_from([0, 500])) if kind == CouponKind.PERCENT else 0,
        gift_product_id=draw(st.sampled_from([101, 102, 109])) if kind == CouponKind.GIFT else None,
        category_codes=draw(st.sampled_from([frozenset(), frozenset({"food"})])),
        group=draw(st.sampled_from(["", "a", "b", "c"])),
        valid_to=draw(st.sampled_from([None, dt.date(2026, 3, 10), dt.date(2026, 3, 5)])),
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[Any, list[CouponTerms]]:
    count = draw(st.integers(1, 3))
    lines = [
        line(
            i,
            unit_price_fen=draw(st.integers(1, 4000)),
            quantity_milli=draw(st.integers(1, 3)) * 1000,
            category_path=(draw(st.sampled_from(["food", "drink"])),),
        )
        for i in range(1, count + 1)
    ]
    coupons = [draw(coupon_terms(i)) for i in range(1, draw(st.integers(1, 6)) + 1)]
    return basket(*lines), coupons


@settings(max_examples=150, deadline=None)
@given(cases())
def test_best_combination_equals_brute_force(case: tuple[Any, list[CouponTerms]]) -> None:
    the_basket, coupons = case
    _verdicts, best, worth = propose_coupons(the_basket, context=context(), coupons=coupons)
    best_key = combination_key((), 0)
    brute: tuple[CouponTerms, ...] = ()
    for size in range(1, len(coupons) + 1):
        for combo in itertools.combinations(coupons, size):
            try:
                priced = price_basket(the_basket, context=context(), coupons=combo)
            except PricingError:
                continue
            key = combination_key(combo, priced.discount_fen)
            if priced.discount_fen > 0 and key < best_key:
                best_key, brute = key, combo
    assert [c.id for c in best] == [c.id for c in brute]
    assert worth == -best_key[0]
    if best:
        assert price_basket(the_basket, context=context(), coupons=best).discount_fen == worth
