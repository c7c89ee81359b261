"""The engine with a benefit card: pure, no database. Hand-computed amounts."""

from __future__ import annotations

from huiyuan.pricing import BenefitTerms, PromotionKind, Stacking, price_basket, render_reason_en
from huiyuan.pricing.tests.builders import basket, context, line, member, promotion, tier

GOLD = BenefitTerms(
    code="GOLD",
    name="金卡年卡",
    id=9,
    paid_permille=950,
    by_category={"wash": 900},
    member_prices={103: 600},
)


def test_the_card_rate_applies_after_the_tier_rate_on_what_is_left():
    result = price_basket(
        basket(line(1, unit_price_fen=1000, category_path=("wash",)), line(2, unit_price_fen=999)),
        context=context(),
        member=member(tier=tier(950), benefit=GOLD),
    )
    wash, shop = result.lines
    # wash: tier 5% of 1000 = 50; then 10% of 950 = 95.
    assert [(a.rule.kind, a.amount_fen) for a in wash.adjustments] == [
        ("tier", 50),
        ("benefit", 95),
    ]
    # shop: tier 5% of 999 = 49.95 → 50 (rounded up); then 5% of 949 = 47.45 → 48.
    assert [(a.rule.kind, a.amount_fen) for a in shop.adjustments] == [
        ("tier", 50),
        ("benefit", 48),
    ]
    assert render_reason_en(wash.adjustments[1].reason) == (
        "Benefit card 金卡年卡, wash: a further 10% off, ¥0.95"
    )


def test_a_member_price_replaces_promotion_tier_and_card_rate():
    result = price_basket(
        basket(line(3, unit_price_fen=1000, quantity_milli=3000)),
        context=context(),
        member=member(tier=tier(900), benefit=GOLD),
        promotions=[promotion(PromotionKind.PERCENT_OFF, 500, stacking=Stacking.STACK)],
    )
    [only] = result.lines
    assert [(a.reason.code, a.amount_fen) for a in only.adjustments] == [
        ("benefit.member_price", 1200)  # (10.00 − 6.00) × 3
    ]
    assert only.payable_fen == 1800


def test_a_member_price_above_the_price_is_ignored():
    dear = BenefitTerms(code="X", member_prices={101: 5000})
    result = price_basket(basket(line(1)), context=context(), member=member(benefit=dear))
    assert result.lines[0].adjustments == ()
    assert result.payable_fen == 1000


def test_no_discount_lines_get_nothing():
    result = price_basket(
        basket(line(1, no_discount=True, category_path=("wash",))),
        context=context(),
        member=member(benefit=GOLD),
    )
    assert result.lines[0].discount_fen == 0
