"""The earn engine on its own: business dates, exact multipliers, exclusions, structured steps."""

from __future__ import annotations

import datetime as dt

from huiyuan.points.rules import EarnContext, RuleSpec, compute_earn

UTC = dt.UTC
# 07:30 on 11-11 in Shanghai is 23:30 on 11-10 in UTC.
SHANGHAI_0730_1111 = dt.datetime(2026, 11, 10, 23, 30, tzinfo=UTC)


def spec(**extra) -> RuleSpec:
    values = {
        "id": 1,
        "code": "base",
        "version": 1,
        "name": "每消费1元积1分",
        "priority": 100,
        "effective_from": dt.datetime(2020, 1, 1, tzinfo=UTC),
        "effective_to": None,
        "unit_fen": 100,
        "points_per_unit": 1,
        "rounding": "floor",
    }
    values.update(extra)
    return RuleSpec(**values)


def ctx(amount_fen: int = 10_000, at: dt.datetime = SHANGHAI_0730_1111, **extra) -> EarnContext:
    return EarnContext(amount_fen=amount_fen, at=at, store_id=extra.pop("store_id", 1), **extra)


def test_special_date_is_the_local_date():
    rule = spec(special_days=({"date": "2026-11-11", "multiplier_pct": 200, "label": "双十一"},))
    result = compute_earn([rule], ctx())
    assert result.points == 200
    assert {"code": "special_day", "day": "2026-11-11", "label": "双十一", "pct": 200} in (
        result.steps
    )
    # The UTC date (11-10) is not a special day.
    eve = spec(special_days=({"date": "2026-11-10", "multiplier_pct": 200},))
    assert compute_earn([eve], ctx()).points == 100


def test_special_weekday_is_the_local_weekday():
    wednesday = spec(special_days=({"weekday": 3, "multiplier_pct": 150},))  # 11-11 local
    tuesday = spec(special_days=({"weekday": 2, "multiplier_pct": 150},))  # 11-10 in UTC
    assert compute_earn([wednesday], ctx()).points == 150
    assert compute_earn([tuesday], ctx()).points == 100


def test_multipliers_multiply_exactly_and_round_once_at_the_end():
    # 1000 points × 105% × 105% = 1102.5 → 1102 (rounding at every step would give 1100).
    result = compute_earn(
        [spec(birthday_multiplier_pct=105)],
        ctx(100_000, tier_code="silver", tier_multiplier_pct=105, is_birthday=True),
    )
    assert result.points == 1102
    assert result.steps == [
        {
            "code": "base",
            "rule": "base v1",
            "rule_name": "每消费1元积1分",
            "amount_fen": 100_000,
            "unit_fen": 100,
            "units": 1000,
            "rounding": "floor",
            "points_per_unit": 1,
            "points": 1000,
        },
        {"code": "tier", "tier": "silver", "pct": 105},
        {"code": "birthday", "pct": 105},
        {
            "code": "multiplied",
            "base": 1000,
            "pcts": [105, 105],
            "exact": "1102.5",
            "rounding": "floor",
            "points": 1102,
        },
    ]


def test_three_multipliers_and_caps_after_rounding():
    rule = spec(
        birthday_multiplier_pct=110,
        special_days=({"weekday": 3, "multiplier_pct": 150},),
        cap_per_sale=500,
        cap_per_day=600,
    )
    # 333 × 101% × 110% × 150% = 554.9445 → 554, then the sale cap 500, then 150 left today.
    result = compute_earn(
        [rule],
        ctx(33_399, tier_code="gold", tier_multiplier_pct=101, is_birthday=True, earned_today=450),
    )
    assert result.points == 150
    assert result.steps[-3:] == [
        {
            "code": "multiplied",
            "base": 333,
            "pcts": [101, 110, 150],
            "exact": "554.9445",
            "rounding": "floor",
            "points": 554,
        },
        {"code": "cap_per_sale", "cap": 500, "points_before": 554},
        {"code": "cap_per_day", "cap": 600, "earned_today": 450, "room": 150},
    ]


def test_half_up_units_then_floor_of_the_product():
    result = compute_earn([spec(rounding="half_up")], ctx(12_850, tier_multiplier_pct=150))
    # 128.50 yuan: 129 units (half up), × 150% = 193.5 → 193.
    assert result.points == 193
    assert result.steps[0]["units"] == 129


def test_excluded_category_earns_nothing_and_does_not_fall_through():
    first = spec(id=1, code="food", priority=10, excluded_categories=("烟酒",))
    second = spec(id=2, code="all", priority=20)
    result = compute_earn([second, first], ctx(category="烟酒"))
    assert result.points == 0
    assert result.rule == first
    assert result.steps == [
        {
            "code": "category_excluded",
            "rule": "food v1",
            "rule_name": "每消费1元积1分",
            "category": "烟酒",
        }
    ]
    assert result.as_dict() == {
        "points": 0,
        "rule": "food v1",
        "rule_id": 1,
        "steps": [
            {
                "code": "category_excluded",
                "rule": "food v1",
                "rule_name": "每消费1元积1分",
                "category": "烟酒",
            }
        ],
    }
    # Other categories still earn by the first rule.
    assert compute_earn([second, first], ctx(category="餐饮")).rule == first


def test_exclusion_only_counts_where_the_rule_otherwise_applies():
    elsewhere = spec(id=1, code="east", priority=10, store_ids=(2,), excluded_categories=("烟酒",))
    later = spec(
        id=3,
        code="next",
        priority=15,
        effective_from=dt.datetime(2030, 1, 1, tzinfo=UTC),
        excluded_categories=("烟酒",),
    )
    fallback = spec(id=2, code="all", priority=20)
    result = compute_earn([elsewhere, later, fallback], ctx(category="烟酒", store_id=1))
    assert result.points == 100 and result.rule == fallback
    assert result.steps[:2] == [
        {"code": "rule_other_stores", "rule": "east v1", "rule_name": "每消费1元积1分"},
        {"code": "rule_not_in_effect", "rule": "next v1", "rule_name": "每消费1元积1分"},
    ]


def test_only_for_categories_falls_through():
    drinks = spec(id=1, code="drinks", priority=10, categories=("饮品",))
    fallback = spec(id=2, code="all", priority=20)
    result = compute_earn([drinks, fallback], ctx(category="餐饮"))
    assert result.rule == fallback
    assert result.steps[0] == {
        "code": "rule_other_categories",
        "rule": "drinks v1",
        "rule_name": "每消费1元积1分",
    }


def test_nothing_paid_and_no_rule():
    assert compute_earn([spec()], ctx(0)).steps == [{"code": "nothing_paid"}]
    assert compute_earn([], ctx()).steps == [{"code": "no_rule"}]
