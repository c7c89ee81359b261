"""Excel export of the remaining console lists (issue 13 §5): activities, segments and
predictions, lotteries and gift distributions, count-card and benefit plans, bundles,
care's message templates, the holiday calendar, the shifts of a day and the commission
rules. Each page shows the button; each export holds the page's rows with Chinese column
titles, money in yuan as numbers, times in Shanghai and the page's store scope."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from huiyuan.activities import services as activity_services
from huiyuan.api.tests.money import at_store
from huiyuan.benefits.tests.conftest import shop  # noqa: F401 - fixtures
from huiyuan.catalog import services as catalog_services
from huiyuan.catalog.services import BundleItemInput
from huiyuan.catalog.services.products import ProductInput
from huiyuan.checkout.models import Sale
from huiyuan.checkout.services.promotions import holiday_set
from huiyuan.commission import services as commission_services
from huiyuan.console.tests.test_list_exports_more import _rows, _shows_button
from huiyuan.core import clock
from huiyuan.core.permissions import Role
from huiyuan.gifts import services as gift_services
from huiyuan.gifts.models import Distribution, GiftMovement, Lottery
from huiyuan.gifts.services.lottery import PrizeInput
from huiyuan.members.services import MemberInput, member_register
from huiyuan.packages.tests.conftest import plan_set  # noqa: F401 - fixtures
from huiyuan.segments.models import MemberProfile, Segment
from huiyuan.segments.services import profiles_rebuild, segment_create
from huiyuan.shifts import services as shift_services
from huiyuan.shifts.models import Shift

pytestmark = pytest.mark.django_db

# 23:30 UTC is 07:30 the next morning in Shanghai: the workbook shows the local time.
AT = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
AT_LOCAL = dt.datetime(2026, 3, 2, 7, 30)
LATER = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
LATER_LOCAL = dt.datetime(2026, 3, 2, 9, 0)


def key() -> str:
    return str(uuid.uuid4())


# ---------------------------------------------------------------------------- activities


def test_activities_export_the_filtered_list_in_the_managers_scope(owner, stores, client_for):
    def make(code: str, name: str, **extra) -> None:
        activity_services.activity_create(
            actor=owner,
            data=activity_services.ActivityInput(
                code=code, name=name, starts_at=AT, ends_at=LATER, **extra
            ),
        )

    make("bake", "亲子烘焙课", kind="signup", capacity=20, fee_fen=5_050)
    make(
        "east",
        "东城店满减",
        kind="payment",
        store_ids=[stores[1].pk],
        threshold_fen=10_000,
        reward_kind="points",
        reward_points=50,
    )
    url = reverse("console:activity_list")
    owner_client = client_for(Role.OWNER)
    _shows_button(owner_client, url)
    titles = (
        "活动",
        "编码",
        "类型",
        "开始时间",
        "结束时间",
        "已报名",
        "名额",
        "报名费",
        "门店",
        "状态",
    )
    rows = _rows(owner_client, url)
    assert rows[0] == titles
    assert sorted(rows[1:]) == sorted(
        [
            (
                "亲子烘焙课",
                "bake",
                "报名活动",
                AT_LOCAL,
                LATER_LOCAL,
                0,
                20,
                50.5,
                "全部门店",
                "草稿",
            ),
            (
                "东城店满减",
                "east",
                "消费满送活动",
                AT_LOCAL,
                LATER_LOCAL,
                None,
                None,
                None,
                "东城店",
                "草稿",
            ),
        ]
    )
    assert [r[1] for r in _rows(owner_client, url, kind="signup")[1:]] == ["bake"]
    # the flagship's manager does not see the other store's activity
    scoped = _rows(client_for(Role.STORE_MANAGER), url)
    assert [r[1] for r in scoped[1:]] == ["bake"]


# ---------------------------------------------------------------------------- segments


def test_segments_export_counts_in_the_managers_scope(owner, stores, make_member, client_for):
    make_member(name="甲", mobile="13700000001", gender="F")
    make_member(name="乙", mobile="13700000002", gender="F", actor=owner, store_id=stores[1].pk)
    segment_create(
        actor=owner, name="女会员", definition={"genders": ["F"]}, description="促销短信"
    )
    segment_create(actor=owner, name="东城店会员", definition={}, store_id=stores[1].pk)
    Segment.objects.update(updated_at=AT)
    url = reverse("console:segment_list")
    marketer = client_for(Role.MARKETER)
    _shows_button(marketer, url)
    titles = ("会员分群", "说明", "筛选", "范围", "当前人数", "已更新")
    rows = _rows(marketer, url)
    assert rows[0] == titles
    assert rows[1:] == [
        ("东城店会员", None, "全部正常会员", "东城店", 1, AT_LOCAL),
        ("女会员", "促销短信", "性别：女", "全连锁", 2, AT_LOCAL),
    ]
    # the flagship's manager: the chain-wide segment only, counted in its store
    scoped = _rows(client_for(Role.STORE_MANAGER), url)
    assert scoped[1:] == [("女会员", "促销短信", "性别：女", "全连锁", 1, AT_LOCAL)]
    assert _rows(marketer, url, q="东城") == [titles, rows[1]]


def test_predictions_export_every_member_in_the_managers_scope(owner, stores, client_for):
    """Like ``segments/tests/test_console.py``: 22 members with sales, profiles rebuilt."""
    today = clock.local_today()
    for i in range(22):
        member = member_register(
            actor=owner,
            data=MemberInput(name=f"会员{i}", mobile=f"139000000{i:02d}"),
            channel="store",
            store_id=stores[i % 2].pk,
        )
        for k in range(i % 4 + 1):
            Sale.objects.create(
                number=f"C{i:03d}{k}",
                member=member,
                store_id=member.home_store_id,
                amount_fen=5000 + i * 100,
                payable_fen=5000 + i * 100,
                paid_external_fen=5000 + i * 100,
                created_at=clock.local_day_start(today - dt.timedelta(days=10 * k + i)),
            )
    profiles_rebuild()
    url = reverse("console:segment_predictions")
    marketer = client_for(Role.MARKETER)
    _shows_button(marketer, url)
    rows = _rows(marketer, url)
    assert rows[0] == (
        "会员号",
        "姓名",
        "手机号",
        "开卡门店",
        "RFM 分类",
        "最近消费",
        "消费次数",
        "累计消费",
        "流失风险",
        "预计消费次数（90 天）",
        "预测价值（1 年）",
    )
    profiles = list(
        MemberProfile.objects.filter(p_alive__isnull=False)
        .select_related("member", "member__home_store")
        .order_by("p_alive", "-spend_fen", "member_id")
    )
    assert len(profiles) == 22 == len(rows) - 1  # every page of them (the screen shows 50)
    expected = [
        (
            p.member.code,
            p.member.name,
            p.member.mobile_masked,
            p.member.home_store.name,
            p.get_rfm_class_display(),
            dt.datetime.combine(p.last_on, dt.time()),
            p.purchases,
            p.spend_fen / 100,
            round((1 - p.p_alive) * 100),
            round(p.expected_purchases_90, 2),
            p.clv_fen / 100,
        )
        for p in profiles
    ]
    assert [r[:9] for r in rows[1:]] == [e[:9] for e in expected]
    assert [x for r in rows[1:] for x in r[9:]] == pytest.approx(
        [x for e in expected for x in e[9:]]
    )
    assert all("*" in r[2] for r in rows[1:])  # masked mobiles
    # the page's order: by predicted value
    by_value = _rows(marketer, url, order="clv")
    assert [r[0] for r in by_value[1:]] == [
        p.member.code for p in sorted(profiles, key=lambda p: (-p.clv_fen, p.member_id))
    ]
    # the flagship's manager: its 11 members only
    scoped = _rows(client_for(Role.STORE_MANAGER), url)
    assert len(scoped) == 12 and {r[3] for r in scoped[1:]} == {"旗舰店"}


# ---------------------------------------------------------------------------- gifts


def test_lotteries_export_without_their_secret(owner, client_for):
    gift = gift_services.gift_create(
        actor=owner,
        data=gift_services.GiftInput(code="MUG", name="马克杯", points_price=100),
        stock=5,
    )
    lottery = gift_services.lottery_create(
        actor=owner,
        name="周年庆抽奖",
        cost_points=10,
        prizes=[
            PrizeInput(kind="gift", weight=1, gift_id=gift.pk, stock=2),
            PrizeInput(kind="nothing", weight=3),
        ],
    )
    Lottery.objects.update(created_at=AT)
    url = reverse("console:lottery_list")
    owner_client = client_for(Role.OWNER)
    _shows_button(owner_client, url)
    rows = _rows(owner_client, url)
    names = " · ".join(p.name for p in lottery.prizes.all())
    assert rows == [
        ("#", "抽奖活动", "每次消耗积分", "奖项", "状态", "创建时间", "结束时间"),
        (lottery.pk, "周年庆抽奖", 10, names, "草稿", AT_LOCAL, None),
    ]
    lottery.refresh_from_db()
    cells = " ".join(str(c) for r in rows for c in r)
    assert lottery.secret not in cells


def test_gift_stock_movements_are_exported(owner, client_for):
    gift = gift_services.gift_create(
        actor=owner,
        data=gift_services.GiftInput(code="MUG", name="马克杯", points_price=100),
        stock=5,
    )
    gift_services.gift_restock(
        actor=owner, gift_id=gift.pk, delta=-2, reason="破损", idempotency_key=key()
    )
    GiftMovement.objects.update(created_at=AT)
    url = reverse("console:gift_detail", args=[gift.pk])
    owner_client = client_for(Role.OWNER)
    _shows_button(owner_client, url)
    rows = _rows(owner_client, url)
    assert rows[0] == ("时间", "类型", "兑换单号", "变动", "结存", "操作人", "原因")
    assert [r[3:] for r in rows[1:]] == [(-2, 3, "owner", "破损"), (5, 5, "owner", None)]
    assert all(r[0] == AT_LOCAL and r[2] is None for r in rows[1:])


def test_gift_distributions_are_exported(owner, make_member, client_for):
    gift = gift_services.gift_create(
        actor=owner,
        data=gift_services.GiftInput(code="MUG", name="马克杯", points_price=100),
        stock=1,
    )
    people = [
        make_member(name=n, mobile=m) for n, m in (("甲", "13700000001"), ("乙", "13700000002"))
    ]
    batch = gift_services.distribution_create(
        actor=owner,
        gift_id=gift.pk,
        member_ids=[p.pk for p in people],
        reason="周年庆回馈",
        idempotency_key=key(),
    )
    gift_services.distribution_run(actor=owner, distribution_id=batch.pk, max_seconds=5)
    Distribution.objects.update(created_at=AT, finished_at=LATER)
    url = reverse("console:gift_distributions")
    owner_client = client_for(Role.OWNER)
    _shows_button(owner_client, url)
    batch.refresh_from_db()
    assert _rows(owner_client, url) == [
        ("#", "礼品", "原因", "会员", "已派发", "已跳过", "状态", "创建时间", "完成时间"),
        (
            batch.pk,
            "马克杯",
            "周年庆回馈",
            2,
            1,
            1,
            batch.get_status_display(),
            AT_LOCAL,
            LATER_LOCAL,
        ),
    ]


# ---------------------------------------------------------------------------- plans, bundles


def test_count_card_plans_are_exported(plan_set, client_for):  # noqa: F811
    url = reverse("console:package_plans")
    cashier = client_for(Role.CASHIER)
    _shows_button(cashier, url)
    assert _rows(cashier, url) == [
        (
            "方案",
            "类型",
            "商品",
            "商品编码",
            "包含",
            "有效期",
            "有效期起算",
            "限次",
            "门店",
            "退卡手续费",
            "退款手续费（%）",
            "在售",
        ),
        (
            "健身月卡",
            "期限卡",
            "健身月卡",
            "GYM-M",
            "入场",
            "1 个月",
            "自售出当日起",
            "每天 1 次",
            "全部",
            0,
            0,
            "是",
        ),
        (
            "游泳10次卡",
            "次卡",
            "游泳10次卡",
            "SWIM10",
            "游泳 × 10",
            "90 天",
            "自售出当日起",
            None,
            "全部",
            0,
            0,
            "是",
        ),
        (
            "私教课程",
            "课程卡",
            "私教课程",
            "PT-8",
            "拉伸 × 3；力量 × 5",
            "长期有效",
            None,
            None,
            "全部",
            5,
            10,
            "是",
        ),
    ]


def test_benefit_plans_are_exported(shop, client_for):  # noqa: F811
    url = reverse("console:benefit_plans")
    cashier = client_for(Role.CASHIER)
    _shows_button(cashier, url)
    assert _rows(cashier, url) == [
        (
            "方案",
            "编码",
            "期限",
            "等级",
            "价格",
            "权益",
            "赠送次数",
            "商品",
            "商品编码",
            "退款手续费（%）",
            "在售",
        ),
        (
            "银卡月卡",
            "SILVER",
            "月卡",
            1,
            30,
            "洗车再享9折；积分 × 150%；预约优先",
            "会员免费洗车",
            "银卡月卡",
            "VIP-M",
            10,
            "是",
        ),
        (
            "金卡年卡",
            "GOLD",
            "年卡",
            2,
            300,
            "全场再享8折；打蜡 会员价 ¥50.00",
            None,
            "金卡年卡",
            "VIP-Y",
            0,
            "是",
        ),
    ]


def test_bundles_export_their_price_items_and_saving(owner, client_for):
    def product(sku: str, name: str, price: int, kind: str = "standard"):
        return catalog_services.product_create(
            actor=owner,
            data=ProductInput(sku=sku, name=name, list_price_fen=price, kind=kind),
        )

    wash, coffee = product("WASH", "精洗", 4_000), product("COFFEE", "美式咖啡", 1_500)
    bundle = product("SET1", "洗车咖啡套餐", 5_000, kind="bundle")
    catalog_services.bundle_set_items(
        actor=owner,
        bundle_id=bundle.pk,
        items=[
            BundleItemInput(product_id=wash.pk, quantity_milli=1_000),
            BundleItemInput(product_id=coffee.pk, quantity_milli=2_000),
        ],
    )
    assert wash and coffee
    url = reverse("console:catalog_bundles")
    cashier = client_for(Role.CASHIER)
    _shows_button(cashier, url)
    assert _rows(cashier, url) == [
        ("套餐", "商品编码", "价格", "商品", "单独购买合计", "节省", "状态"),
        ("洗车咖啡套餐", "SET1", 50, "精洗 × 1；美式咖啡 × 2", 70, 20, "在售"),
    ]


# ---------------------------------------------------------------------------- care templates


def test_message_templates_are_exported(client_for):
    marketer = client_for(Role.MARKETER)
    r = marketer.post(
        "/care/templates/birthday/sms/",
        {
            "name": "生日祝福",
            "kind": "marketing",
            "subject": "",
            "is_active": "on",
            "body": "{name}，生日快乐！",
        },
    )
    assert r.status_code == 302
    url = reverse("console:care_templates")
    _shows_button(marketer, url)
    rows = _rows(marketer, url)
    assert rows[0] == ("模板", "编码", "类型", "内置", "自定义文案的渠道", "文案")
    birthday = next(r for r in rows if r[1] == "birthday")
    assert birthday == (
        "生日祝福",
        "birthday",
        "营销类",
        "是",
        "短信",
        "亲爱的{name}，{store}祝您生日快乐！{coupon}",
    )
    assert len(rows) > 2 and all(r[3] in ("是", "否") for r in rows[1:])


# ---------------------------------------------------------------------------- holidays


def test_holiday_calendar_exports_the_year_shown(owner, client_for):
    holiday_set(actor=owner, date=dt.date(2026, 10, 1), name="国庆节")
    holiday_set(actor=owner, date=dt.date(2027, 1, 1), name="元旦")
    url = reverse("console:promotion_holidays")
    cashier = client_for(Role.CASHIER)
    _shows_button(cashier, url)
    assert _rows(cashier, url, year="2026") == [
        ("日期", "星期", "节日名称"),
        (dt.datetime(2026, 10, 1), "周四", "国庆节"),
    ]


# ---------------------------------------------------------------------------- store operations


def test_shifts_of_a_day_export_cash_in_yuan_and_only_the_managers_stores(
    staff, stores, actors, client_for
):
    cashier = actors[Role.CASHIER]
    mine = shift_services.shift_open(actor=cashier, float_fen=50_000, idempotency_key=key())
    shift_services.shift_close(
        actor=cashier, shift_id=mine.pk, counted={"cash": 50_050}, idempotency_key=key()
    )
    theirs = shift_services.shift_open(
        actor=at_store(staff[Role.OWNER], stores[1]), float_fen=10_000, idempotency_key=key()
    )
    Shift.objects.filter(pk=mine.pk).update(opened_at=AT, closed_at=LATER)
    Shift.objects.filter(pk=theirs.pk).update(opened_at=LATER)
    url = reverse("console:shift_day")
    titles = (
        "门店",
        "收银员",
        "收银终端",
        "开班时间",
        "结班时间",
        "备用金",
        "应有现金",
        "实点现金",
        "差额",
    )
    owner_client = client_for(Role.OWNER)
    _shows_button(owner_client, url)
    rows = _rows(owner_client, url, date="2026-03-02")
    flagship = ("旗舰店", "cashier", None, AT_LOCAL, LATER_LOCAL, 500, 500, 500.5, 0.5)
    assert rows == [
        titles,
        flagship,
        ("东城店", "owner", None, LATER_LOCAL, None, 100, 100, None, None),
    ]
    assert _rows(owner_client, url, date="2026-03-02", store=str(stores[1].pk))[1:] == [rows[2]]
    assert _rows(owner_client, url, date="2026-03-03") == [titles, rows[2]]  # still open
    scoped = _rows(client_for(Role.STORE_MANAGER), url, date="2026-03-02")
    assert scoped == [titles, flagship]


def test_commission_rules_are_exported(owner, client_for):
    catalog_services.category_create(actor=owner, code="wash", name="洗车")
    commission_services.commission_rule_set(
        actor=owner,
        kind="category",
        category_code="wash",
        method="percent",
        rate_bp=250,
        idempotency_key=key(),
    )
    commission_services.commission_rule_set(
        actor=owner,
        kind="recharge",
        role="cashier",
        method="fixed",
        fixed_fen=150,
        idempotency_key=key(),
    )
    url = reverse("console:commission_rules")
    owner_client = client_for(Role.OWNER)
    _shows_button(owner_client, url)
    rows = _rows(owner_client, url)
    assert rows == [
        ("适用于", "角色", "提成比例（%）", "每件提成"),
        ("洗车", "所有角色", 2.5, None),
        ("充值", "收银员", None, 1.5),
    ]
