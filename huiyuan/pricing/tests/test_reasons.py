"""Reasons read as plain Chinese (and English) from their structured form."""

from __future__ import annotations

import pytest

from huiyuan.pricing import (
    BenefitTerms,
    BundleItem,
    CouponKind,
    CouponTerms,
    PaymentRequest,
    PricingError,
    PromotionKind,
    Reason,
    Stacking,
    price_basket,
    render_error_en,
    render_error_zh,
    render_reason_en,
    render_reason_zh,
)
from huiyuan.pricing.reasons import EN, ERRORS_EN, ERRORS_ZH, ZH, quantity_str, zhe
from huiyuan.pricing.tests.builders import (
    THURSDAY,
    basket,
    context,
    fuel,
    line,
    member,
    promotion,
    tier,
)
from huiyuan.pricing.tests.test_promotions import FUEL_WEDNESDAY


def test_zhe_and_quantities():
    assert [zhe(p) for p in (950, 900, 885, 800, 50, 5, 0)] == [
        "95折",
        "9折",
        "88.5折",
        "8折",
        "0.5折",
        "0.05折",
        "0折",
    ]
    assert [quantity_str(q) for q in (25_348, 2000, 12_300, 5)] == ["25.348", "2", "12.3", "0.005"]


def test_a_wednesday_petrol_sale_explained():
    result = price_basket(
        basket(fuel(1, amount_fen=20_000), line(2, unit_price_fen=350, quantity_milli=3000)),
        context=context(),
        member=member(
            tier=tier(950, by_category={"petrol": 980}),
            points_available=1000,
            principal_available=5000,
        ),
        promotions=[FUEL_WEDNESDAY],
        payment=PaymentRequest(points=1000, balance_fen=3000),
    )
    petrol, water = result.lines
    assert [render_reason_zh(a.reason) for a in petrol.adjustments] == [
        "促销「92#周三每升减3毛」每升减 ¥0.30，25.348升，优惠 ¥7.61"
    ]
    assert [render_reason_zh(n) for n in petrol.notes] == [
        "按金额 ¥200.00 ÷ 单价 ¥7.89/升 = 25.348升（不足 0.001升 舍去）",
        "促销「92#周三每升减3毛」比会员折扣优惠更多，取促销（不叠加）",
    ]
    assert [render_reason_zh(a.reason) for a in water.adjustments] == [
        "会员等级「金卡」95折，优惠 ¥0.53"
    ]
    assert [render_reason_zh(n) for n in result.notes] == [
        "1000 积分抵扣 ¥10.00（100 积分抵 ¥1，最多抵应付的 50%）",
        "储值支付 ¥30.00：本金 ¥30.00，赠送金 ¥0.00（先扣本金）",
    ]
    assert render_reason_en(water.adjustments[0].reason) == "Tier 金卡: 5% off, ¥0.53"


def test_category_tier_reason_names_the_category():
    result = price_basket(
        basket(fuel(amount_fen=10_000)),
        context=context(),
        member=member(tier=tier(950, by_category={"petrol": 980})),
    )
    assert render_reason_zh(result.lines[0].adjustments[0].reason) == (
        "会员等级「金卡」汽油类98折，优惠 ¥2.00"
    )


def _every_reason() -> list[Reason]:
    """Price a basket that produces every reason the engine has, and collect them."""
    promotions = [
        promotion(PromotionKind.PERCENT_OFF, 900, id=1, category_codes=frozenset({"a"})),
        promotion(PromotionKind.FIXED_UNIT_PRICE, 500, id=2, category_codes=frozenset({"b"})),
        promotion(
            PromotionKind.AMOUNT_OFF_PER_UNIT,
            10,
            id=3,
            category_codes=frozenset({"c"}),
            stacking=Stacking.EXCLUSIVE,
        ),
        promotion(PromotionKind.PERCENT_OFF, 999, id=4, category_codes=frozenset({"d"})),
        promotion(PromotionKind.PERCENT_OFF, 500, id=5, weekdays=frozenset({5}), code="FRI"),
    ]
    item = BundleItem(product_id=1, sku="x", quantity_milli=1000, unit_price_fen=1)
    result = price_basket(
        basket(
            line(1, category_path=("a",)),
            line(2, category_path=("b",), no_points=True),
            line(3, category_path=("c",)),
            line(4, category_path=("d",)),
            line(5, no_discount=True),
            fuel(6, amount_fen=1000),
            line(7, bundle_items=(item, item)),
        ),
        context=context(THURSDAY),
        member=member(
            tier=tier(950), points_available=100, principal_available=100, earn_frozen=True
        ),
        promotions=promotions,
        payment=PaymentRequest(points=100, balance_fen=100),
    )
    with_coupons = price_basket(
        basket(line(1, unit_price_fen=20_000), line(2, category_path=("b",))),
        context=context(THURSDAY),
        coupons=[
            CouponTerms(
                id=1, code="G", name="兑换", kind=CouponKind.GIFT, gift_product_id=102, group="g"
            ),
            CouponTerms(id=2, code="P", name="折扣", kind=CouponKind.PERCENT, value=900, group="p"),
            CouponTerms(
                id=3,
                code="T",
                name="满减",
                kind=CouponKind.THRESHOLD,
                value=100,
                min_spend_fen=100,
                group="t",
            ),
            CouponTerms(id=4, code="C", name="代金", kind=CouponKind.CASH, value=100, group="c"),
        ],
    )
    with_benefit = price_basket(
        basket(line(1, category_path=("a",)), line(2)),
        context=context(THURSDAY),
        member=member(
            benefit=BenefitTerms(
                code="GOLD", name="金卡年卡", by_category={"a": 900}, member_prices={102: 800}
            )
        ),
    )
    reasons = list(result.notes)
    for priced_line in (*result.lines, *with_coupons.lines, *with_benefit.lines):
        reasons += [a.reason for a in priced_line.adjustments]
        reasons += priced_line.notes
    return reasons


def test_every_reason_the_engine_gives_has_a_sentence_in_both_languages():
    assert set(ZH) == set(EN)
    reasons = _every_reason()
    assert {r.code for r in reasons} == set(ZH)  # the basket above shows every reason
    for reason in reasons:
        assert render_reason_zh(reason) != reason.code
        assert render_reason_en(reason) != reason.code


def test_errors_render_in_both_languages():
    assert set(ERRORS_ZH) == set(ERRORS_EN)
    error = PricingError("points_offset_too_high", max_offset_percent=50, cap_fen=500)
    assert render_error_zh(error) == "积分最多抵扣本单的 50%（¥5.00）。"
    assert render_error_en(error) == "Points may pay at most 50% of this bill (¥5.00)."
    assert render_error_zh(PricingError("no_such_code")) == "no_such_code"


@pytest.mark.parametrize("code", sorted(ERRORS_ZH))
def test_every_error_code_renders(code):
    params = {
        "points_per_yuan": 100,
        "max_offset_percent": 50,
        "cap_fen": 500,
        "payable_fen": 1000,
        "requested": 10,
        "available": 5,
        "rule": "P1",
    }
    assert render_error_zh(PricingError(code, **params))
    assert render_error_en(PricingError(code, **params))
