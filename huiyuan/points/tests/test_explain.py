"""Explanations render from structured steps, per language; old sentences still read."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone, translation

from huiyuan.points.explain import as_step, render_step, render_steps
from huiyuan.points.rules import EarnContext, RuleSpec, compute_earn

# Steps without names are rendered with the names of rules and tiers read from the database.
pytestmark = pytest.mark.django_db

BASE = {
    "code": "base",
    "rule": "base v1",
    "amount_fen": 12850,
    "unit_fen": 100,
    "units": 128,
    "rounding": "floor",
    "points_per_unit": 1,
    "points": 128,
}
STEPS = [
    BASE,
    {"code": "tier", "tier": "gold", "pct": 150},
    {"code": "birthday", "pct": 200},
    {"code": "special_day", "day": "2026-11-11", "label": "双十一", "pct": 105},
    {"code": "special_day", "day": "2026-11-11", "label": "", "pct": 150, "weekday": 3},
    {
        "code": "multiplied",
        "base": 128,
        "pcts": [150, 200, 105],
        "exact": "403.2",
        "rounding": "floor",
        "points": 403,
    },
    {"code": "multiplied", "base": 128, "pcts": [150], "exact": "192", "points": 192},
    {"code": "cap_per_sale", "cap": 300, "points_before": 403},
    {"code": "cap_per_day", "cap": 500, "earned_today": 450, "room": 50},
    {"code": "category_excluded", "rule": "base v1", "category": "烟酒"},
    {"code": "rule_not_in_effect", "rule": "base v2"},
    {"code": "no_rule"},
    {"code": "earn_frozen"},
    {"code": "no_card"},
]


def test_steps_in_chinese():
    with translation.override("zh-hans"):
        assert render_steps(STEPS) == [
            "base v1：实付 ¥128.50，每 ¥1.00 为一单位 = 128 单位（不足一单位部分不积分）× 1 = 128 分",
            "等级 gold：× 150%",
            "生日：× 200%",
            "特殊日 双十一（2026-11-11）：× 105%",
            "每周三（2026-11-11）：× 150%",
            "128 × 150% × 200% × 105% = 403.2，向下取整为 403 分",
            "128 × 150% = 192 分",
            "单笔上限 300 分",
            "每人每日上限 500 分：当日已得 450 分，尚可得 50 分",
            "base v1：品类“烟酒”不积分",
            "base v2：该时间不在生效期内",
            "没有适用的规则：不积分。",
            "该会员积分已冻结：不积分。",
            "未刷会员卡：不积分（可补积分）。",
        ]


def test_steps_in_english():
    with translation.override("en"):
        assert render_step(BASE) == (
            "base v1: paid ¥128.50, one unit per ¥1.00 = 128 units "
            "(part below a unit dropped) × 1 = 128 points"
        )
        assert render_step(STEPS[5]) == (
            "128 × 150% × 200% × 105% = 403.2, rounded down to 403 points"
        )


def test_old_sentences_read_as_structured_steps():
    assert as_step("base v1: 12850 fen / 100 = 128 units (floor) x 1 = 128 points") == BASE
    assert as_step("128 x 300% = 384 points (rounded down)") == {
        "code": "multiplied",
        "base": 128,
        "pcts": [300],
        "exact": "384",
        "rounding": "floor",
        "points": 384,
    }
    assert as_step("daily cap 150: 100 earned today, 50 left") == {
        "code": "cap_per_day",
        "cap": 150,
        "earned_today": 100,
        "room": 50,
    }
    with translation.override("zh-hans"):
        assert render_steps(
            [
                "tier gold: x150%",
                "special day 双十一: x200%",
                "food v1: category 烟酒 excluded",
                "earning is frozen for this member",
                "no member card: no points (补积分 possible)",
                "something new",
            ]
        ) == [
            "等级 gold：× 150%",
            "特殊日 双十一：× 200%",
            "food v1：品类“烟酒”不积分",
            "该会员积分已冻结：不积分。",
            "未刷会员卡：不积分（可补积分）。",
            "something new",
        ]


def test_a_step_with_missing_numbers_shows_as_stored():
    assert render_step({"code": "base", "rule": "x v1"}) == "{'code': 'base', 'rule': 'x v1'}"
    assert render_step({"code": "from_the_future", "n": 1}) == "{'code': 'from_the_future', 'n': 1}"


def test_a_dry_run_in_chinese_names_the_rule_and_tier_and_has_no_english():
    rule = RuleSpec(
        id=1,
        code="base",
        version=1,
        name="每消费1元积1分",
        priority=1,
        effective_from=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        effective_to=None,
        unit_fen=100,
        points_per_unit=1,
        rounding="floor",
        birthday_multiplier_pct=200,
        cap_per_sale=300,
    )
    context = EarnContext(
        amount_fen=12850,
        at=timezone.now(),
        store_id=1,
        tier_code="platinum",
        tier_name="铂金会员",
        tier_multiplier_pct=150,
        is_birthday=True,
    )
    result = compute_earn([rule], context)
    assert result.steps[0]["rule_name"] == "每消费1元积1分"
    assert result.steps[1] == {
        "code": "tier",
        "tier": "platinum",
        "tier_name": "铂金会员",
        "pct": 150,
    }
    with translation.override("zh-hans"):
        shown = render_steps(result.steps)
    assert shown == [
        "每消费1元积1分：实付 ¥128.50，每 ¥1.00 为一单位 = 128 单位（不足一单位部分不积分）× 1 = 128 分",
        "等级 铂金会员：× 150%",
        "生日：× 200%",
        "128 × 150% × 200% = 384 分",
        "单笔上限 300 分",
    ]
    text = " ".join(shown)
    assert not re.search(r"[A-Za-z]", text), text  # no English, no codes


def test_old_steps_are_named_from_the_database(owner):
    from huiyuan.ledger.tests.factories import default_rule
    from huiyuan.points.models import EarnRule
    from huiyuan.tiers.services import tier_create

    default_rule(owner)
    rule = EarnRule.objects.get()
    tier_create(actor=owner, code="gold", name="金卡会员", level=2)
    old = [
        {**BASE, "rule": f"{rule.code} v{rule.version}"},
        {"code": "tier", "tier": "gold", "pct": 150},
        "tier gold: x150%",
    ]
    with translation.override("zh-hans"):
        shown = render_steps(old)
    assert shown[0].startswith(f"{rule.name}：实付 ¥128.50")
    assert shown[1:] == ["等级 金卡会员：× 150%", "等级 金卡会员：× 150%"]
