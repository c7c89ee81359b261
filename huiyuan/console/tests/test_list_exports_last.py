"""Excel export of the last list pages (issue 13 §5): care's delivery log, campaigns, a
campaign's recipients and special dates; catalog categories and a product's price history;
surveys; a member's ledger. Each page shows the button; each export holds the page's rows
(all pages of them), with Chinese column titles, money in yuan as numbers, times in
Shanghai, masked mobiles, and the page's store scope."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from huiyuan.api.tests.money import at_store
from huiyuan.api.tests.money import card as money_card
from huiyuan.api.tests.money import member as money_member
from huiyuan.care import campaigns as campaign_services
from huiyuan.care.models import Campaign, Delivery
from huiyuan.catalog import services as catalog_services
from huiyuan.catalog.services.products import ProductInput
from huiyuan.console.tests.test_list_exports_more import _rows, _shows_button
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import card
from huiyuan.points.services import points_adjust
from huiyuan.surveys.services import builder as survey_builder
from huiyuan.wallet.services import wallet_recharge

pytestmark = pytest.mark.django_db

# 23:30 UTC is 07:30 the next morning in Shanghai: the workbook shows the local time.
AT = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
AT_LOCAL = dt.datetime(2026, 3, 2, 7, 30)
LATER = dt.datetime(2026, 3, 1, 23, 31, tzinfo=dt.UTC)
LATER_LOCAL = dt.datetime(2026, 3, 2, 7, 31)


def _cells(rows: list[tuple]) -> str:
    return " ".join(str(c) for row in rows for c in row)


# ---------------------------------------------------------------------------- care


DELIVERY_TITLES = (
    "#",
    "时间",
    "渠道",
    "营销类",
    "模板",
    "群发活动",
    "会员号",
    "接收人",
    "状态",
    "原因",
    "尝试次数",
    "发出时间",
    "投递完成时间",
    "服务商消息编号",
    "最近错误",
)


@pytest.fixture
def campaign_sent(settings, owner, stores, make_member):
    """A campaign to every active member: one at the flagship store, one at the other."""
    settings.HUIYUAN_CARE_QUIET_HOURS = (0, 0)
    here = make_member(name="甲", mobile="13700000001")
    there = make_member(name="乙", mobile="13700000002", actor=owner, store_id=stores[1].pk)
    campaign = campaign_services.campaign_create(
        actor=owner,
        data=campaign_services.CampaignInput(
            name="周末特惠", template_code="promotion", channel="sms"
        ),
    )
    campaign_services.campaign_start(actor=owner, campaign_id=campaign.pk)
    Delivery.objects.update(created_at=AT, sent_at=LATER, delivered_at=LATER)
    Campaign.objects.update(created_at=AT, started_at=AT, finished_at=LATER)
    campaign.refresh_from_db()
    return campaign, here, there


def _delivery_row(d: Delivery, campaign: Campaign, code: str, masked: str) -> tuple:
    return (
        d.pk,
        AT_LOCAL,
        "短信",
        "是",
        "promotion",
        campaign.pk,
        code,
        masked,
        "已送达",
        None,
        1,
        LATER_LOCAL,
        LATER_LOCAL,
        f"outbox-{_outbox_id(d)}",  # the development outbox's message id
        None,
    )


def _outbox_id(d: Delivery) -> int:
    from huiyuan.care.models import OutboxMessage

    return OutboxMessage.objects.get(delivery=d).pk


def test_delivery_log_exports_masked_recipients_filters_and_store_scope(campaign_sent, client_for):
    campaign, here, there = campaign_sent
    mine = Delivery.objects.get(member=here)
    theirs = Delivery.objects.get(member=there)
    url = reverse("console:care_channels")
    owner_client = client_for(Role.OWNER)
    _shows_button(owner_client, url)
    rows = _rows(owner_client, url)
    assert rows[0] == DELIVERY_TITLES
    assert rows[1:] == [
        _delivery_row(theirs, campaign, there.code, "137****0002"),
        _delivery_row(mine, campaign, here.code, "137****0001"),
    ]
    assert "13700000001" not in _cells(rows) and "13700000002" not in _cells(rows)
    assert "甲您好" not in _cells(rows)  # the body stays out
    # the page's filters: nothing failed
    assert _rows(owner_client, url, status="failed") == [DELIVERY_TITLES]
    assert len(_rows(owner_client, url, channel="sms", status=mine.status)) == 3
    # a store manager: only their store's members' messages
    scoped = _rows(client_for(Role.STORE_MANAGER), url)
    assert [r[0] for r in scoped[1:]] == [mine.pk]


def test_campaign_recipients_are_exported_in_the_store_scope(campaign_sent, owner, client_for):
    campaign, here, there = campaign_sent
    url = reverse("console:care_campaign", args=[campaign.pk])
    marketer = client_for(Role.MARKETER)
    _shows_button(marketer, url)
    rows = _rows(marketer, url)
    assert rows[0] == DELIVERY_TITLES
    assert [(r[0], r[6], r[7]) for r in rows[1:]] == [
        (Delivery.objects.get(member=there).pk, there.code, "137****0002"),
        (Delivery.objects.get(member=here).pk, here.code, "137****0001"),
    ]
    scoped = _rows(client_for(Role.STORE_MANAGER), url)
    assert [r[6] for r in scoped[1:]] == [here.code]
    # another campaign's export holds none of these
    other = campaign_services.campaign_create(
        actor=owner,
        data=campaign_services.CampaignInput(name="草稿", template_code="promotion", channel="sms"),
    )
    assert _rows(marketer, reverse("console:care_campaign", args=[other.pk])) == [DELIVERY_TITLES]


def test_campaigns_list_is_exported(campaign_sent, client_for):
    campaign, _here, _there = campaign_sent
    url = reverse("console:care_campaigns")
    marketer = client_for(Role.MARKETER)
    _shows_button(marketer, url)
    rows = _rows(marketer, url)
    assert rows[0] == (
        "#",
        "群发活动",
        "模板",
        "渠道",
        "发送对象",
        "附带优惠券",
        "状态",
        "会员",
        "已完成",
        "创建时间",
        "创建人",
        "开始时间",
        "完成时间",
    )
    assert rows[1:] == [
        (
            campaign.pk,
            "周末特惠",
            "promotion",
            "短信",
            "全部有效会员",
            None,
            "已完成",
            2,
            2,
            AT_LOCAL,
            "owner",
            AT_LOCAL,
            LATER_LOCAL,
        )
    ]


def test_special_dates_are_exported_with_their_calendar_reading(client_for):
    marketer = client_for(Role.MARKETER)
    url = reverse("console:care_dates")
    form = {
        "name": "中秋节",
        "calendar": "lunar",
        "month": "8",
        "day": "15",
        "template_code": "holiday",
        "channel": "sms",
        "days_ahead": "1",
        "coupon_template": "",
        "is_active": "on",
    }
    assert marketer.post(url, form).status_code == 302
    assert (
        marketer.post(
            url,
            {
                **form,
                "name": "妇女节",
                "calendar": "solar",
                "month": "3",
                "day": "8",
                "is_active": "",
            },
        ).status_code
        == 302
    )
    _shows_button(marketer, url)
    rows = _rows(marketer, url)
    assert rows == [
        (
            "节日名称",
            "日期",
            "历法",
            "模板",
            "渠道",
            "提前天数",
            "附带优惠券",
            "已启用",
            "已发送会员",
        ),
        ("中秋节", "农历八月十五", "农历日期（每年）", "holiday", "短信", 1, None, "是", 0),
        ("妇女节", "03-08", "公历日期（每年）", "holiday", "短信", 1, None, "否", 0),
    ]


# ---------------------------------------------------------------------------- catalog


def test_categories_are_exported_in_tree_order_with_their_product_counts(owner, client_for):
    fuel = catalog_services.category_create(actor=owner, code="fuel", name="油品", position=1)
    petrol = catalog_services.category_create(
        actor=owner, code="petrol", name="汽油", parent_id=fuel.pk
    )
    catalog_services.category_create(actor=owner, code="shop", name="便利店", position=2)
    catalog_services.product_create(
        actor=owner,
        data=ProductInput(sku="P92", name="92#汽油", list_price_fen=780, category_id=petrol.pk),
    )
    url = reverse("console:catalog_categories")
    cashier = client_for(Role.CASHIER)
    _shows_button(cashier, url)
    assert _rows(cashier, url) == [
        ("名称", "分类路径", "编码", "级别", "商品", "排序"),
        ("油品", "油品", "fuel", 1, 0, 1),
        ("汽油", "油品 / 汽油", "fuel/petrol", 2, 1, 0),
        ("便利店", "便利店", "shop", 1, 0, 2),
    ]
    # the edit page (same template) shows no button: its form is the point there
    edit = client_for(Role.OWNER).get(reverse("console:catalog_category_edit", args=[fuel.pk]))
    assert 'data-testid="export-xlsx"' not in edit.content.decode()


PRICE_TITLES = ("生效时间", "适用范围", "价格", "状态", "备注", "操作人", "发布时间", "撤回时间")


def test_price_history_exports_yuan_states_and_only_the_managers_stores(
    owner, stores, actors, client_for
):
    product = catalog_services.product_create(
        actor=owner, data=ProductInput(sku="LATTE", name="拿铁", list_price_fen=2_800)
    )

    def publish(actor, price_fen, store_id=None, note="", start=None):
        return catalog_services.price_change_schedule(
            actor=actor,
            product_id=product.pk,
            price_fen=price_fen,
            store_id=store_id,
            note=note,
            effective_from=start,
            idempotency_key=str(uuid.uuid4()),
        )

    chain = publish(owner, 2_950, note="春季调价")
    theirs = publish(owner, 2_700, store_id=stores[1].pk)
    future = dt.datetime(2099, 1, 1, 0, 0, tzinfo=dt.UTC)
    mine = publish(actors[Role.STORE_MANAGER], 3_005, store_id=stores[0].pk, start=future)
    # the history's moments, fixed so the workbook's local times can be checked exactly
    type(chain).objects.filter(pk=chain.pk).update(effective_from=AT, created_at=AT)
    type(chain).objects.filter(pk=theirs.pk).update(effective_from=LATER, created_at=LATER)
    type(chain).objects.filter(pk=mine.pk).update(created_at=LATER)
    url = reverse("console:catalog_product_prices", args=[product.pk])
    owner_client = client_for(Role.OWNER)
    _shows_button(owner_client, url)
    rows = _rows(owner_client, url)
    assert rows == [
        PRICE_TITLES,
        (
            dt.datetime(2099, 1, 1, 8, 0),
            "旗舰店",
            30.05,
            "待生效",
            None,
            "manager",
            LATER_LOCAL,
            None,
        ),
        (LATER_LOCAL, "东城店", 27.0, "执行中", None, "owner", LATER_LOCAL, None),
        (AT_LOCAL, "全部门店", 29.5, "执行中", "春季调价", "owner", AT_LOCAL, None),
    ]
    scoped = _rows(client_for(Role.STORE_MANAGER), url)
    assert [r[1] for r in scoped[1:]] == ["旗舰店", "全部门店"]


# ---------------------------------------------------------------------------- surveys


def test_surveys_list_is_exported_with_its_status_filter(owner, client_for):
    draft = survey_builder.survey_create(actor=owner, title="门店服务满意度")
    live = survey_builder.survey_create(actor=owner, title="新品口味调查")
    survey_builder.question_add(
        actor=owner,
        survey_id=live.pk,
        data=survey_builder.QuestionInput(kind="rating", text="您对新品的评价？"),
    )
    survey_builder.survey_publish(actor=owner, survey_id=live.pk)
    type(live).objects.update(created_at=AT)
    type(live).objects.filter(pk=live.pk).update(published_at=LATER)
    url = reverse("console:survey_list")
    marketer = client_for(Role.MARKETER)
    _shows_button(marketer, url)
    titles = ("#", "问卷", "题数", "已邀请", "答卷数", "状态", "创建时间", "发布时间", "结束时间")
    assert _rows(marketer, url) == [
        titles,
        (live.pk, "新品口味调查", 1, 0, 0, "进行中", AT_LOCAL, LATER_LOCAL, None),
        (draft.pk, "门店服务满意度", 0, 0, 0, "草稿", AT_LOCAL, None, None),
    ]
    assert _rows(marketer, url, status="draft") == [
        titles,
        (draft.pk, "门店服务满意度", 0, 0, 0, "草稿", AT_LOCAL, None, None),
    ]


# ---------------------------------------------------------------------------- ledger


def test_member_ledger_exports_money_in_yuan_and_points_apart(
    owner, cashier, actors, stores, client_for
):
    member_card = card(cashier, owner)
    wallet_recharge(
        actor=cashier,
        card_id=member_card.pk,
        amount_fen=10_050,
        method="cash",
        idempotency_key=str(uuid.uuid4()),
    )
    points_adjust(
        actor=actors[Role.STORE_MANAGER],
        card_id=member_card.pk,
        delta=30,
        reason="补录积分",
        idempotency_key=str(uuid.uuid4()),
    )
    url = reverse("console:member_ledger", args=[member_card.member_id])
    cashier_client = client_for(Role.CASHIER)
    _shows_button(cashier_client, url)
    rows = _rows(cashier_client, url)
    number = member_card.number
    assert rows[0] == (
        "时间",
        "业务",
        "类型",
        "卡号",
        "账户",
        "金额",
        "变动后余额",
        "积分",
        "变动后积分",
        "操作员",
        "门店",
        "备注",
    )
    assert [r[1:] for r in rows[1:]] == [
        (
            "积分调整",
            "手工调整",
            number,
            "积分",
            None,
            None,
            30,
            30,
            "manager",
            "旗舰店",
            "补录积分",
        ),
        ("充值", "充值", number, "本金", 100.5, 100.5, None, None, "cashier", "旗舰店", None),
    ]
    assert all(isinstance(r[0], dt.datetime) for r in rows[1:])
    # Every page of it: 60 entries are more than one page (50) of the screen.
    for _ in range(29):
        points_adjust(
            actor=actors[Role.STORE_MANAGER],
            card_id=member_card.pk,
            delta=1,
            reason="签到",
            idempotency_key=str(uuid.uuid4()),
        )
    everything = _rows(cashier_client, url)
    assert len(everything) == 1 + 31
    assert everything[1][7:9] == (1, 59)
    # A member unknown is a 404, not an empty workbook.
    missing = reverse("console:member_ledger", args=[999_999])
    assert cashier_client.get(missing, {"export": "xlsx"}).status_code == 404


def test_member_ledger_export_holds_what_the_page_shows_for_another_stores_member(
    owner, staff, stores, client_for
):
    """Membership is chain-wide: the counter sees another store's member's card (masked
    name); the export holds the same rows as the screen, no more."""
    elsewhere = at_store(staff[Role.OWNER], stores[1])
    holder = money_member(owner, stores[1], "13911112222")
    their_card = money_card(elsewhere, owner, holder, stores[1])
    wallet_recharge(
        actor=elsewhere,
        card_id=their_card.pk,
        amount_fen=500,
        method="cash",
        idempotency_key=str(uuid.uuid4()),
    )
    url = reverse("console:member_ledger", args=[holder.pk])
    manager = client_for(Role.STORE_MANAGER)
    shown = manager.get(url).content.decode().count("<tr data-op")
    rows = _rows(manager, url)
    assert len(rows) - 1 == shown == 1
    assert rows[1][1:] == (
        "充值",
        "充值",
        their_card.number,
        "本金",
        5,
        5,
        None,
        None,
        "owner",
        "东城店",
        None,
    )
    assert "13911112222" not in _cells(rows) and holder.name not in _cells(rows)
