"""Configuration pages end to end: yuan and 折 in, fen and ‰ stored, refusals write nothing."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.cards.models import CardType
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.points.models import EarnRule, PointsPolicy
from huiyuan.points.services import earn_rule_publish, points_adjust
from huiyuan.tiers.models import Tier
from huiyuan.tiers.services import tier_create
from huiyuan.wallet.models import Recharge, RechargePackage, WalletPolicy
from huiyuan.wallet.services import recharge_package_create, wallet_recharge

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq(client, staff):
    client.force_login(staff[Role.HQ_ADMIN])
    return client


def text(response) -> str:
    return response.content.decode()


# ----------------------------------------------------------------------- card types


def test_create_card_type(hq):
    response = hq.post(
        reverse("console:config_card_types"),
        {
            "code": "family",
            "name": "家庭卡",
            "category": "multi",
            "holding": "family",
            "anonymous": "",
            "validity_months": "24",
            "max_holders": "4",
            "number_prefix": "88",
        },
    )
    assert response.status_code == 302
    ct = CardType.objects.get(code="family")
    assert (ct.name, ct.holding, ct.validity_months, ct.max_holders, ct.number_prefix) == (
        "家庭卡",
        "family",
        24,
        4,
        "88",
    )
    page = text(hq.get(reverse("console:config_card_types")))
    assert "家庭卡" in page and "24 个月" in page and "¥5,000.00" in page


def test_duplicate_card_type_is_a_form_error(hq, owner):
    from huiyuan.ledger.tests.factories import card_type

    card_type(owner, code="gold", name="金卡")
    events = AuditEvent.objects.count()
    response = hq.post(
        reverse("console:config_card_types"),
        {
            "code": "gold",
            "name": "又一个金卡",
            "category": "tier",
            "holding": "personal",
            "max_holders": "1",
            "number_prefix": "6",
        },
    )
    assert response.status_code == 200
    assert "该卡类型编码已存在" in text(response)
    assert CardType.objects.filter(code="gold").count() == 1
    assert AuditEvent.objects.count() == events


# ---------------------------------------------------------------------- stored value


def test_package_in_yuan_stored_in_fen_then_withdrawn(hq):
    response = hq.post(
        reverse("console:config_package_create"),
        {"name": "充500送50.5", "pay": "500", "bonus": "50.50", "bonus_valid_days": "180"},
    )
    assert response.status_code == 302
    package = RechargePackage.objects.get()
    assert (package.pay_fen, package.bonus_fen, package.bonus_valid_days) == (50000, 5050, 180)
    page = text(hq.get(reverse("console:config_wallet")))
    assert "¥500.00" in page and "¥50.50" in page and "10.1%" in page
    hq.post(reverse("console:config_package_set_active", args=[package.pk]), {"active": "0"})
    assert RechargePackage.objects.get().is_active is False
    assert "已下架" in text(hq.get(reverse("console:config_wallet")))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "x", "pay": "12.345"}, "金额最多保留两位小数"),
        ({"name": "x", "pay": "0"}, "请输入大于零的金额"),
        ({"name": "x", "pay": "abc"}, "金额无效。"),
        ({"name": "", "pay": "100"}, "这个字段是必填项"),
    ],
)
def test_package_refusals_write_nothing(hq, data, message):
    response = hq.post(reverse("console:config_package_create"), data)
    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert RechargePackage.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_wallet_policy_in_yuan(hq):
    response = hq.post(
        reverse("console:config_wallet_policy"),
        {
            "spend_order": "bonus_first",
            "named_limit": "3000.50",
            "anonymous_limit": "800",
            "bonus_valid_days": "90",
        },
    )
    assert response.status_code == 302
    policy = WalletPolicy.current()
    assert (
        policy.spend_order,
        policy.named_limit_fen,
        policy.anonymous_limit_fen,
        policy.bonus_valid_days,
    ) == ("bonus_first", 300050, 80000, 90)
    page = text(hq.get(reverse("console:config_wallet")))
    assert 'value="3000.50"' in page and "¥3,000.50" in page


def test_wallet_policy_refusal(hq):
    WalletPolicy.current()
    before = list(WalletPolicy.objects.values())
    response = hq.post(
        reverse("console:config_wallet_policy"),
        {"spend_order": "random", "named_limit": "-1", "anonymous_limit": "800"},
    )
    assert response.status_code == 200
    assert list(WalletPolicy.objects.values()) == before
    assert AuditEvent.objects.count() == 0


# ---------------------------------------------------------------------------- points


def test_points_policy_saved(hq):
    response = hq.post(
        reverse("console:config_points"),
        {
            "points_per_yuan": "50",
            "max_offset_percent": "30",
            "expiry": "quarter_end",
            "expiry_days": "180",
            "supplement_days": "14",
            "pending_days": "0",
        },
    )
    assert response.status_code == 302
    p = PointsPolicy.current()
    assert (
        p.points_per_yuan,
        p.max_offset_percent,
        p.expiry,
        p.expiry_days,
        p.supplement_days,
    ) == (
        50,
        30,
        "quarter_end",
        180,
        14,
    )
    page = text(hq.get(reverse("console:config_points")))
    assert "1000 积分价值 ¥20.00" in page and "最多可用积分抵扣 ¥30.00" in page


def test_points_policy_service_refusal_is_a_form_error(hq):
    PointsPolicy.current()
    before = list(PointsPolicy.objects.values())
    response = hq.post(
        reverse("console:config_points"),
        {
            "points_per_yuan": "100",
            "max_offset_percent": "50",
            "expiry": "days",
            "expiry_days": "0",
            "supplement_days": "7",
            "pending_days": "0",
        },
    )
    assert response.status_code == 200
    assert "会过期的积分有效期至少一天" in text(response)
    assert list(PointsPolicy.objects.values()) == before
    assert AuditEvent.objects.count() == 0


def rule_data(**extra):
    data = {
        "code": "base",
        "name": "每消费1元积1分",
        "priority": "100",
        "unit": "1",
        "points_per_unit": "1",
        "rounding": "floor",
        "birthday_multiplier_pct": "200",
        "special_days": "2026-11-11 300 双十一\n周三 150",
        "categories": "",
        "excluded_categories": "烟酒，充值卡",
        "cap_per_sale": "5000",
    }
    data.update(extra)
    return data


def test_publish_rule_and_new_version(hq, stores):
    response = hq.post(reverse("console:config_earn_rules"), rule_data(stores=[stores[1].pk]))
    assert response.status_code == 302, text(response)
    rule = EarnRule.objects.get()
    assert (rule.version, rule.unit_fen, rule.points_per_unit, rule.birthday_multiplier_pct) == (
        1,
        100,
        1,
        200,
    )
    assert rule.store_ids == [stores[1].pk]
    assert rule.excluded_categories == ["烟酒", "充值卡"]
    assert rule.special_days == [
        {"multiplier_pct": 300, "date": "2026-11-11", "label": "双十一"},
        {"multiplier_pct": 150, "weekday": 3},
    ]
    assert rule.cap_per_sale == 5000 and rule.cap_per_day is None
    # The "new version" link fills the form from the current version.
    page = text(hq.get(reverse("console:config_earn_rules") + "?code=base"))
    assert "发布 base 的新版本" in page and "周三 150" in page
    later = timezone.localtime() + timezone.timedelta(days=7)
    response = hq.post(
        reverse("console:config_earn_rules"),
        rule_data(
            unit="2.50", points_per_unit="3", effective_from=later.strftime("%Y-%m-%dT%H:%M")
        ),
    )
    assert response.status_code == 302
    v1, v2 = EarnRule.objects.order_by("version")
    assert (v2.version, v2.unit_fen, v2.points_per_unit) == (2, 250, 3)
    assert v1.effective_to == v2.effective_from
    page = text(hq.get(reverse("console:config_earn_rules")))
    assert "生效中" in page and "待生效" in page and "每 ¥2.50 积 3 分" in page


def test_rule_refusals_write_nothing(hq, owner):
    earn_rule_publish(actor=owner, code="base", name="基础", unit_fen=100, points_per_unit=1)
    before = list(EarnRule.objects.values())
    events = AuditEvent.objects.count()
    past = "2020-01-01T00:00"
    response = hq.post(reverse("console:config_earn_rules"), rule_data(effective_from=past))
    assert response.status_code == 200
    assert "规则不能从过去开始生效：请选择现在或以后的时间。" in text(response)
    response = hq.post(reverse("console:config_earn_rules"), rule_data(special_days="双十一 200"))
    assert response.status_code == 200
    assert "既不是日期" in text(response)
    assert list(EarnRule.objects.values()) == before
    assert AuditEvent.objects.count() == events


def test_dry_run_shows_points_and_steps(hq, owner, stores):
    tier_create(actor=owner, code="gold", name="金卡", level=1, points_multiplier_pct=150)
    earn_rule_publish(
        actor=owner,
        code="base",
        name="每消费1元积1分",
        unit_fen=100,
        points_per_unit=1,
        birthday_multiplier_pct=200,
        cap_per_sale=1000,
    )
    query = {
        "amount": "128.50",
        "category": "餐饮",
        "store": str(stores[0].pk),
        "tier": "gold",
        "is_birthday": "on",
        "earned_today": "0",
    }
    response = hq.get(reverse("console:config_earn_dry_run"), query)
    page = text(response)
    assert response.status_code == 200
    # 128 units × 1 = 128; ×150% ×200% = 300% → 384.
    assert 'data-testid="dry-run-points">384<' in page
    assert (
        "每消费1元积1分：实付 ¥128.50，每 ¥1.00 为一单位 = 128 单位（不足一单位部分不积分）× 1 = 128 分"
        in page
    )
    assert "等级 金卡：× 150%" in page and "生日：× 200%" in page
    assert "128 × 150% × 200% = 384 分" in page
    assert "按「每消费1元积1分」规则（第 1 版）" in page
    # Words, not codes: no English debug text, no rule or tier code in the explanation.
    steps = page[page.index('class="hy-steps"') : page.index("</ol>", page.index("hy-steps"))]
    shown = re.sub(r"<[^>]+>", " ", steps.split(">", 1)[1])
    assert not re.search(r"[A-Za-z]", shown), shown
    partial = text(hq.get(reverse("console:config_earn_dry_run"), query, HTTP_HX_REQUEST="true"))
    assert 'data-testid="dry-run-points">384<' in partial and "<html" not in partial
    assert EarnRule.objects.count() == 1


def test_dry_run_without_rules_and_bad_input(hq):
    page = text(hq.get(reverse("console:config_earn_dry_run"), {"amount": "10"}))
    assert 'data-testid="dry-run-points">0<' in page and "没有适用的规则：不积分。" in page
    page = text(hq.get(reverse("console:config_earn_dry_run"), {"amount": "1.001"}))
    assert "dry-run-points" not in page and "金额最多保留两位小数" in page


# ----------------------------------------------------------------------------- tiers


def test_create_tier_in_yuan_and_zhe(hq):
    response = hq.post(
        reverse("console:config_tiers"),
        {
            "code": "gold",
            "name": "金卡会员",
            "level": "2",
            "basis": "spend",
            "threshold": "5000",
            "retention": "2000.50",
            "window_days": "365",
            "discount": "8.8",
            "points_multiplier_pct": "150",
            "privileges": "免费停车2小时\n生日礼券",
        },
    )
    assert response.status_code == 302
    tier = Tier.objects.get()
    assert (tier.threshold, tier.retention, tier.discount_permille, tier.points_multiplier_pct) == (
        500000,
        200050,
        880,
        150,
    )
    page = text(hq.get(reverse("console:config_tiers")))
    assert "8.8折" in page and "¥5,000.00" in page and "¥2,000.50" in page and "生日礼券" in page


def test_points_tier_and_refusals(hq, owner):
    tier_create(actor=owner, code="normal", name="普通", level=0)
    base = {"name": "银卡", "basis": "points", "window_days": "365", "points_multiplier_pct": "100"}
    ok = hq.post(
        reverse("console:config_tiers"),
        {
            **base,
            "code": "silver",
            "level": "1",
            "threshold": "2000",
            "retention": "0",
            "discount": "",
        },
    )
    assert ok.status_code == 302
    assert Tier.objects.get(code="silver").threshold == 2000
    assert Tier.objects.get(code="silver").discount_permille == 1000
    before = list(Tier.objects.order_by("pk").values())
    events = AuditEvent.objects.count()
    for data, message in [
        (
            {"code": "silver", "level": "5", "threshold": "1", "retention": "0"},
            "该代码的等级已存在",
        ),
        ({"code": "x", "level": "1", "threshold": "1", "retention": "0"}, "已有等级使用这个级别"),
        (
            {"code": "x", "level": "5", "threshold": "1.5", "retention": "0"},
            "请输入大于等于零的整数",
        ),
        (
            {"code": "x", "level": "5", "threshold": "1", "retention": "0", "discount": "11"},
            "0.01 到 10",
        ),
        (
            {"code": "x", "level": "5", "threshold": "1", "retention": "0", "discount": "9.555"},
            "9.5（95折）",
        ),
    ]:
        response = hq.post(reverse("console:config_tiers"), {**base, **data})
        assert response.status_code == 200
        assert message in text(response), message
    assert list(Tier.objects.order_by("pk").values()) == before
    assert AuditEvent.objects.count() == events


def test_run_evaluation_from_the_page(hq, owner):
    tier_create(actor=owner, code="normal", name="普通", level=0)
    response = hq.post(reverse("console:config_tiers_evaluate"), follow=True)
    assert "期末评定完成：0 位会员降级" in text(response)
    assert AuditEvent.objects.filter(action="tier.evaluation_run").count() == 1


# -------------------------------------------------------------------- batch recharge


def xlsx(rows, header=("卡号", "金额", "备注")) -> io.BytesIO:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "福利.xlsx"
    return buffer


@pytest.fixture
def two_cards(cashier, owner):
    return card(cashier, owner), card(cashier, owner)


def test_batch_upload_preview_confirm(hq, stores, two_cards):
    a, b = two_cards
    url = reverse("console:config_batch")
    response = hq.post(
        url,
        {
            "file": xlsx([(a.number, "100", "三月"), (b.number, "200.50", "")]),
            "store": str(stores[1].pk),
            "method": "enterprise",
        },
    )
    assert response.status_code == 302
    page = text(hq.get(url))
    assert 'data-testid="batch-total">¥300.50<' in page
    assert 'data-testid="batch-errors">0<' in page
    assert "确认充值 ¥300.50" in page and "东城店" in page
    assert Recharge.objects.count() == 0  # nothing before confirmation
    key_value = hq.session["batch_recharge"]["key"]
    response = hq.post(reverse("console:config_batch_confirm"), {"key": key_value}, follow=True)
    assert "2 笔充值，共 ¥300.50，已全部入账" in text(response)
    assert (balances(a)["principal"], balances(b)["principal"]) == (10000, 20050)
    assert set(Recharge.objects.values_list("store_id", flat=True)) == {stores[1].pk}
    # A second confirmation of the same preview changes nothing.
    response = hq.post(reverse("console:config_batch_confirm"), {"key": key_value}, follow=True)
    assert "该预览已失效" in text(response)
    assert Recharge.objects.count() == 2


def test_batch_with_errors_applies_nothing_and_offers_the_report(hq, stores, two_cards):
    a, _b = two_cards
    url = reverse("console:config_batch")
    hq.post(
        url,
        {
            "file": xlsx([(a.number, "100"), ("123456789", "50")]),
            "store": str(stores[0].pk),
            "method": "enterprise",
        },
    )
    page = text(hq.get(url))
    assert 'data-testid="batch-errors">1<' in page and "没有这个卡号的卡。" in page
    assert reverse("console:config_batch_confirm") not in page
    key_value = hq.session["batch_recharge"]["key"]
    response = hq.post(reverse("console:config_batch_confirm"), {"key": key_value}, follow=True)
    assert "文件有错误" in text(response)
    assert Recharge.objects.count() == 0 and balances(a)["principal"] == 0
    report = hq.get(reverse("console:config_batch_report"))
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(report.content), read_only=True)
        .worksheets[0]
        .iter_rows(values_only=True)
    )
    assert rows[2][1:3] == ("123456789", "50") and rows[2][6] == "没有这个卡号的卡。"
    hq.post(reverse("console:config_batch_discard"))
    assert "batch_recharge" not in hq.session


def test_batch_bad_file_and_store_scope(hq, stores):
    url = reverse("console:config_batch")
    bad = io.BytesIO(b"not a workbook")
    bad.name = "x.xlsx"
    hq.post(url, {"file": bad, "store": str(stores[0].pk), "method": "enterprise"})
    assert "无法读取该文件" in text(hq.get(url))
    response = hq.post(url, {"store": str(stores[0].pk), "method": "enterprise"})
    assert response.status_code == 200 and "这个字段是必填项" in text(response)


def test_batch_apply_refusal_rolls_back(hq, stores, two_cards, cashier):
    from huiyuan.cards import services as card_services

    a, b = two_cards
    url = reverse("console:config_batch")
    hq.post(
        url,
        {
            "file": xlsx([(a.number, "10"), (b.number, "20")]),
            "store": str(stores[0].pk),
            "method": "enterprise",
        },
    )
    card_services.card_report_lost(actor=cashier, card_id=b.pk, reason="刚挂失")
    key_value = hq.session["batch_recharge"]["key"]
    response = hq.post(reverse("console:config_batch_confirm"), {"key": key_value}, follow=True)
    assert "第 3 行" in text(response) and "全部未充值" in text(response)
    assert Recharge.objects.count() == 0 and balances(a)["principal"] == 0


# --------------------------------------------------------------------------- reports


@pytest.fixture
def money(owner, actors, stores):
    """¥500 recharged at S01 with a ¥50 bonus; 1,200 points adjusted in."""
    cashier = actors[Role.CASHIER]
    c = card(cashier, owner)
    package = recharge_package_create(actor=owner, name="充500送50", pay_fen=50000, bonus_fen=5000)
    wallet_recharge(
        actor=cashier,
        card_id=c.pk,
        amount_fen=50000,
        method="cash",
        package_id=package.pk,
        idempotency_key=key(),
    )
    points_adjust(actor=owner, card_id=c.pk, delta=1200, reason="开卡礼", idempotency_key=key())
    return c


def test_outstanding_report(hq, money):
    page = text(hq.get(reverse("console:report_outstanding")))
    assert 'data-testid="held-principal">¥500.00<' in page
    assert 'data-testid="held-bonus">¥50.00<' in page
    assert "¥550.00" in page
    year = timezone.localdate().year
    assert f"{year}Q1" in page
    export = hq.get(reverse("console:report_outstanding_export"), {"year": year})
    workbook = openpyxl.load_workbook(io.BytesIO(export.content))
    now = workbook.worksheets[0]
    assert now["A2"].value == "S01" and now["C2"].value == 500
    assert now["F2"].value == 50 and now["G2"].value == 500
    assert workbook.sheetnames[-1] == "全连锁合计"


def test_outstanding_report_for_a_store_manager_is_scoped(client, staff, money):
    client.force_login(staff[Role.STORE_MANAGER])
    page = text(client.get(reverse("console:report_outstanding")))
    assert "旗舰店" in page and "东城店" not in page and "全连锁合计" not in page
    assert 'data-testid="held-principal">¥500.00<' in page


def test_points_report(hq, money):
    page = text(hq.get(reverse("console:report_points")))
    assert 'data-testid="points-outstanding">1,200<' in page
    assert 'data-testid="points-value">¥12.00<' in page
    export = hq.get(reverse("console:report_points_export"))
    rows = list(
        openpyxl.load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows(values_only=True)
    )
    assert rows[1] == ("未使用积分", 1200)
    assert rows[3] == ("按抵扣比例折合 (¥)", 12)
    assert rows[7] == ("手工调整（净额）", 1200)
