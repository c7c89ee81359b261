"""Dated promotions: weekdays, date ranges, holidays, scope, kinds, priority, stacking."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.pricing import PricingError, PromotionKind, Reason, RuleRef, Stacking, price_basket
from huiyuan.pricing.tests.builders import (
    THURSDAY,
    WEDNESDAY,
    basket,
    context,
    fuel,
    line,
    member,
    promotion,
    tier,
)

OFF = PromotionKind.AMOUNT_OFF_PER_UNIT
PERCENT = PromotionKind.PERCENT_OFF
FIXED = PromotionKind.FIXED_UNIT_PRICE

FUEL_WEDNESDAY = promotion(
    OFF,
    30,
    code="92-WED",
    name="92#周三每升减3毛",
    version=4,
    product_ids=frozenset({92}),
    weekdays=frozenset({3}),
)


def priced(*lines, promotions=(), at=WEDNESDAY, terms=None, **ctx):
    return price_basket(
        basket(*lines),
        context=context(at, **ctx),
        member=member(tier=terms) if terms else None,
        promotions=promotions,
    )


def test_petrol_on_wednesday_is_thirty_fen_a_litre_cheaper():
    result = priced(fuel(amount_fen=20_000), promotions=[FUEL_WEDNESDAY])
    only = result.lines[0]
    # 25.348 L × ¥0.30 = ¥7.6044 → 761 fen, rounded in the customer's favour.
    assert (only.list_fen, only.discount_fen, only.payable_fen) == (20_000, 761, 19_239)
    (adjustment,) = only.adjustments
    assert adjustment.rule == RuleRef("promotion", 1, 4, "92-WED")
    assert adjustment.reason.code == "promotion.amount_off_per_unit"
    assert adjustment.reason.params["quantity_milli"] == 25_348


def test_petrol_on_thursday_pays_list_and_says_why():
    result = priced(fuel(amount_fen=20_000), promotions=[FUEL_WEDNESDAY], at=THURSDAY)
    only = result.lines[0]
    assert only.discount_fen == 0
    assert (
        Reason(
            "promotion.not_today",
            {"promotion": "92-WED", "name": "92#周三每升减3毛", "why": "other_days"},
        )
        in only.notes
    )


def test_a_promotion_for_other_products_says_nothing():
    result = priced(line(), promotions=[FUEL_WEDNESDAY], at=THURSDAY)
    assert result.lines[0].notes == ()


def test_date_range_is_inclusive_in_local_dates():
    spring = promotion(PERCENT, 900, date_ranges=((dt.date(2026, 2, 20), dt.date(2026, 3, 4)),))
    assert priced(line(), promotions=[spring]).discount_fen == 100
    after = priced(line(), promotions=[spring], at=THURSDAY)
    assert after.discount_fen == 0
    assert after.lines[0].notes[0].params["why"] == "other_dates"


def test_holidays_or_weekend():
    weekend_or_holiday = promotion(PERCENT, 800, weekdays=frozenset({6, 7}), on_holidays=True)
    assert priced(line(), promotions=[weekend_or_holiday], at=THURSDAY).discount_fen == 0
    holiday = frozenset({THURSDAY.date()})
    assert (
        priced(line(), promotions=[weekend_or_holiday], at=THURSDAY, holidays=holiday).discount_fen
        == 200
    )
    saturday = WEDNESDAY + dt.timedelta(days=3)
    assert priced(line(), promotions=[weekend_or_holiday], at=saturday).discount_fen == 200


def test_holidays_only():
    national_day = promotion(FIXED, 500, on_holidays=True)
    holiday = frozenset({WEDNESDAY.date()})
    assert priced(line(), promotions=[national_day], holidays=holiday).discount_fen == 500
    assert priced(line(), promotions=[national_day]).discount_fen == 0


def test_stores_and_effective_times():
    elsewhere = promotion(PERCENT, 900, store_ids=frozenset({2}))
    assert priced(line(), promotions=[elsewhere]).discount_fen == 0
    assert priced(line(), promotions=[elsewhere], store_id=2).discount_fen == 100
    starts_later = promotion(PERCENT, 900, effective_from=WEDNESDAY + dt.timedelta(minutes=1))
    assert priced(line(), promotions=[starts_later]).discount_fen == 0
    ended = promotion(PERCENT, 900, effective_to=WEDNESDAY)  # to is exclusive
    assert priced(line(), promotions=[ended]).discount_fen == 0
    running = promotion(PERCENT, 900, effective_from=WEDNESDAY, effective_to=THURSDAY)
    assert priced(line(), promotions=[running]).discount_fen == 100


def test_scope_by_product_or_any_category_on_the_path():
    by_category = promotion(PERCENT, 900, category_codes=frozenset({"drink"}))
    result = priced(
        line(1, category_path=("shop", "drink", "water")),
        line(2, category_path=("shop", "snack")),
        promotions=[by_category],
    )
    assert [x.discount_fen for x in result.lines] == [100, 0]
    by_product = promotion(PERCENT, 900, product_ids=frozenset({102}))
    result = priced(line(1), line(2), promotions=[by_product])
    assert [x.discount_fen for x in result.lines] == [0, 100]


def test_percent_off_is_rounded_once_over_the_lines_it_covers():
    # 9折 on 10.01 + 10.01: 100.1 each, 200.2 → 201; the odd fen to the first line.
    result = priced(
        line(1, unit_price_fen=1001),
        line(2, unit_price_fen=1001),
        promotions=[promotion(PERCENT, 900)],
    )
    assert [x.discount_fen for x in result.lines] == [101, 100]
    assert result.lines[0].adjustments[0].reason.params["subtotal_fen"] == 2002


def test_fixed_unit_price():
    special = promotion(FIXED, 800)
    result = priced(line(quantity_milli=3000), promotions=[special])
    assert (result.list_fen, result.discount_fen, result.payable_fen) == (3000, 600, 2400)
    dearer = promotion(FIXED, 1200)  # never raises a price
    assert priced(line(), promotions=[dearer]).lines[0].adjustments == ()


def test_amount_off_never_exceeds_the_line():
    result = priced(line(quantity_milli=2000), promotions=[promotion(OFF, 1500)])
    assert (result.discount_fen, result.payable_fen) == (2000, 0)


def test_priority_then_worth_then_id():
    small_first = promotion(OFF, 100, id=1, priority=10)
    big_later = promotion(OFF, 300, id=2, priority=20)
    assert priced(line(), promotions=[big_later, small_first]).discount_fen == 100
    same_priority = promotion(OFF, 300, id=2, priority=10)
    assert priced(line(), promotions=[small_first, same_priority]).discount_fen == 300
    twin = promotion(OFF, 100, id=0, code="P0", priority=10)
    chosen = priced(line(), promotions=[small_first, twin]).lines[0].adjustments[0]
    assert chosen.rule.id == 0


def test_best_of_keeps_the_tier_when_it_gives_more():
    result = priced(line(unit_price_fen=10_000), promotions=[promotion(OFF, 300)], terms=tier(900))
    only = result.lines[0]
    assert only.discount_fen == 1000
    assert [a.rule.kind for a in only.adjustments] == ["tier"]
    assert (
        Reason(
            "stacking.best_of",
            {
                "promotion": "P1",
                "name": "促销",
                "tier": "gold",
                "tier_name": "金卡",
                "chosen": "tier",
            },
        )
        in only.notes
    )


def test_best_of_tie_goes_to_the_promotion():
    result = priced(line(unit_price_fen=10_000), promotions=[promotion(OFF, 1000)], terms=tier(900))
    assert [a.rule.kind for a in result.lines[0].adjustments] == ["promotion"]
    assert result.discount_fen == 1000


def test_stack_applies_the_tier_after_the_promotion():
    stackable = promotion(OFF, 1000, stacking=Stacking.STACK)
    result = priced(line(unit_price_fen=10_000), promotions=[stackable], terms=tier(950))
    only = result.lines[0]
    # 100.00 − 10.00 = 90.00, then 95折: 4.50 off.
    assert [(a.rule.kind, a.amount_fen) for a in only.adjustments] == [
        ("promotion", 1000),
        ("tier", 450),
    ]
    assert only.payable_fen == 8550


def test_exclusive_promotion_shuts_out_a_better_tier():
    exclusive = promotion(OFF, 100, stacking=Stacking.EXCLUSIVE)
    result = priced(line(unit_price_fen=10_000), promotions=[exclusive], terms=tier(800))
    assert result.discount_fen == 100
    assert result.lines[0].notes[-1].code == "stacking.exclusive"


def test_no_discount_line_gets_no_promotion():
    result = priced(line(no_discount=True), promotions=[promotion(PERCENT, 500)])
    assert result.discount_fen == 0


@pytest.mark.parametrize(
    "bad",
    [
        promotion(PERCENT, 1001),
        promotion(OFF, -1),
        promotion(OFF, 10, weekdays=frozenset({0})),
        promotion(OFF, 10, date_ranges=((dt.date(2026, 3, 5), dt.date(2026, 3, 4)),)),
    ],
)
def test_misconfigured_promotions_are_refused(bad):
    with pytest.raises(PricingError) as refused:
        priced(line(), promotions=[bad])
    assert refused.value.code == "invalid_rule"
    assert refused.value.params == {"rule": "P1", "version": 1}
