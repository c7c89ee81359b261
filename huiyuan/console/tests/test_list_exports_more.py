"""Excel export of more list pages (issue 13 §5): webhooks and their deliveries, imports,
promotions, stocktakes, lottery draws, card batches, benefit cards, online recharges,
staff and API keys. Each page shows the button; each export is the page's rows, with
Chinese column titles, money in yuan as numbers, and the page's store scope."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from django.http import FileResponse
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from huiyuan.cards import services as card_services
from huiyuan.cards.batches import BatchInput, card_batch_create
from huiyuan.cards.models import CardBatch
from huiyuan.checkout.tests.conftest import funded, shop  # noqa: F401 - fixtures
from huiyuan.core.permissions import Role
from huiyuan.gifts import services as gift_services
from huiyuan.gifts.services.lottery import PrizeInput
from huiyuan.ledger.tests.factories import card
from huiyuan.payments.models import OnlineOrder
from huiyuan.payments.services.orders import online_order_create
from huiyuan.selfservice.actor import MemberActor
from huiyuan.stock import services as stock_services
from huiyuan.stock.tests.conftest import receive
from huiyuan.stores import services as store_services
from huiyuan.webhooks import services as webhook_services
from huiyuan.webhooks.interest import interest_clear

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.PAYMENTS_PROVIDERS = ["sandbox"]
    settings.PAYMENTS_SANDBOX_KEY = "sandbox-test-key"
    interest_clear()
    yield
    interest_clear()


def _rows(client: Client, url: str, **filters: str) -> list[tuple]:
    response = client.get(url, {**filters, "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment;")
    assert isinstance(response, FileResponse)
    content = b"".join(response.streaming_content)  # type: ignore[arg-type]
    book = load_workbook(io.BytesIO(content), read_only=True)
    return [tuple(row) for row in book.active.iter_rows(values_only=True)]


def _shows_button(client: Client, url: str) -> None:
    html = client.get(url).content.decode()
    assert 'data-testid="export-xlsx"' in html
    assert "导出 Excel" in html or "Export" in html


SIMPLE_PAGES = [
    (
        "console:webhooks",
        ("名称", "目标地址", "事件", "状态", "等待投递", "投递失败"),
    ),
    (
        "console:import_history",
        ("文件", "类型", "状态", "行数", "新增", "已存在", "错误", "操作人", "已上传"),
    ),
    (
        "console:promotions",
        ("促销", "编码", "版本", "规则", "生效时间", "截止", "状态"),
    ),
    (
        "console:stock_stocktakes",
        ("#", "门店", "状态", "开始时间", "已过账", "备注"),
    ),
    (
        "console:card_batches",
        (
            "#",
            "购卡单位",
            "卡类型",
            "售卡门店",
            "卡数",
            "面值",
            "已激活",
            "已作废",
            "状态",
            "创建时间",
            "备注",
        ),
    ),
    (
        "console:benefit_list",
        ("权益卡", "卡号", "会员", "状态", "开始日期", "有效期至", "实收", "门店"),
    ),
    (
        "console:payment_orders",
        ("订单号", "时间", "会员卡", "门店", "支付机构", "金额", "赠送金", "状态"),
    ),
    (
        "console:staff",
        ("姓名", "登录名", "手机号", "角色", "门店", "最近登录", "状态"),
    ),
    (
        "console:api_keys",
        (
            "API 密钥",
            "密钥前缀",
            "收银终端",
            "门店",
            "角色",
            "权限范围",
            "每分钟请求数",
            "创建时间",
            "最近使用",
            "状态",
        ),
    ),
]


@pytest.mark.parametrize(("name", "titles"), SIMPLE_PAGES)
def test_each_list_page_shows_the_button_and_exports_its_columns(owner_client, name, titles):
    url = reverse(name)
    _shows_button(owner_client, url)
    rows = _rows(owner_client, url)
    assert rows[0] == titles


def test_webhook_subscriptions_and_deliveries_are_exported(owner, owner_client):
    sub = webhook_services.subscription_create(
        actor=owner, name="ERP", url="https://hooks.example.com/in", event_names=["tier.changed"]
    )
    url = reverse("console:webhook_detail", args=[sub.pk])
    _shows_button(owner_client, url)
    rows = _rows(owner_client, url)
    assert rows[0] == ("时间", "事件", "#", "状态", "尝试次数", "最近响应")
    listed = _rows(owner_client, reverse("console:webhooks"))
    assert listed[1][:4] == ("ERP", "https://hooks.example.com/in", "等级变动", "正常")
    assert listed[1][4:] == (0, 0)
    # the secret never leaves: no cell holds it
    from huiyuan.webhooks.selectors import subscription_secret

    secret = subscription_secret(sub)
    assert all(secret not in str(cell) for row in listed for cell in row)


def test_online_recharges_export_money_in_yuan_and_the_store_scope(
    staff, stores, owner, cashier, owner_client, client_for
):
    member_card = card(cashier, owner)
    assert member_card.member_id is not None
    mine = online_order_create(
        actor=MemberActor(member_id=member_card.member_id),
        card_id=member_card.pk,
        amount_fen=12_345,
        provider="sandbox",
        notify_base_url="http://x",
    )
    other = online_order_create(
        actor=MemberActor(member_id=member_card.member_id),
        card_id=member_card.pk,
        amount_fen=500,
        provider="sandbox",
        notify_base_url="http://x",
    )
    OnlineOrder.objects.filter(pk=other.pk).update(store=stores[1])
    mine.refresh_from_db()
    url = reverse("console:payment_orders")
    everything = _rows(owner_client, url)
    assert [r[0] for r in everything[1:]] == [other.number, mine.number]
    row = everything[2]
    assert row[0] == mine.number
    assert isinstance(row[1], dt.datetime)
    assert row[2:] == (
        member_card.number,
        stores[0].name,
        mine.get_provider_display(),
        123.45,
        0,
        mine.get_status_display(),
    )
    scoped = _rows(client_for(Role.CASHIER), url)
    assert [r[0] for r in scoped[1:]] == [mine.number]
    filtered = _rows(owner_client, url, number=other.number)
    assert [r[0] for r in filtered[1:]] == [other.number]


def test_stocktakes_export_only_the_managers_store(stores, owner, actors, client_for, shop):  # noqa: F811
    manager = actors[Role.STORE_MANAGER]
    receive(owner, stores[0].pk, (shop.coffee, 10_000))
    receive(owner, stores[1].pk, (shop.coffee, 5_000))
    mine = stock_services.stocktake_create(
        actor=manager, store_id=stores[0].pk, note="月末盘点", idempotency_key=str(uuid.uuid4())
    )
    theirs = stock_services.stocktake_create(
        actor=owner, store_id=stores[1].pk, note="", idempotency_key=str(uuid.uuid4())
    )
    url = reverse("console:stock_stocktakes")
    rows = _rows(client_for(Role.STORE_MANAGER), url)
    assert len(rows) == 2
    assert rows[1][:3] == (mine.pk, "旗舰店", mine.get_status_display())
    assert isinstance(rows[1][3], dt.datetime)
    assert rows[1][4:] == (None, "月末盘点")
    everything = _rows(client_for(Role.OWNER), url)
    assert sorted(r[0] for r in everything[1:]) == sorted([mine.pk, theirs.pk])


def test_staff_export_masks_mobiles_and_holds_no_password(owner, stores, owner_client):
    created = store_services.staff_create(
        actor=owner,
        username="xiaoli",
        display_name="小李",
        role=Role.CASHIER,
        password="Another-pass-2026",
        store_ids=[stores[1].pk],
        mobile="13987654321",
    )
    rows = _rows(owner_client, reverse("console:staff"))
    row = next(r for r in rows if r[1] == "xiaoli")
    assert row == ("小李", "xiaoli", "139****4321", "收银员", "东城店", None, "已启用")
    cells = " ".join(str(c) for r in rows for c in r)
    assert "13987654321" not in cells and created.password not in cells


def test_lottery_draws_are_exported(owner, owner_client):
    lottery = gift_services.lottery_create(
        actor=owner,
        name="周年庆抽奖",
        cost_points=10,
        prizes=[PrizeInput(kind="nothing", weight=1)],
    )
    url = reverse("console:lottery_detail", args=[lottery.pk])
    _shows_button(owner_client, url)
    rows = _rows(owner_client, url)
    assert rows == [("#", "时间", "会员", "奖项", "种子")]


def test_card_batches_export_counts_and_face_value_in_the_managers_stores(
    owner, stores, client_for
):
    gift = card_services.card_type_create(
        actor=owner, code="gift", name="礼品卡", category="multi", anonymous=True
    )

    def make(store_index: int, company: str) -> CardBatch:
        return card_batch_create(
            actor=owner,
            data=BatchInput(
                card_type_id=gift.pk,
                count=3,
                face_value_fen=10_050,
                store_id=stores[store_index].pk,
                buyer_company=company,
                buyer_contact="李经理 13912345678",
            ),
            idempotency_key=str(uuid.uuid4()),
        )

    mine = make(0, "华夏科技有限公司")
    theirs = make(1, "东方贸易有限公司")
    url = reverse("console:card_batches")
    rows = _rows(client_for(Role.STORE_MANAGER), url)
    assert len(rows) == 2
    assert rows[1][:8] == (mine.pk, "华夏科技有限公司", "礼品卡", "旗舰店", 3, 100.5, 0, 0)
    assert isinstance(rows[1][9], dt.datetime)
    cells = " ".join(str(c) for r in rows for c in r)
    assert "13912345678" not in cells
    everything = _rows(client_for(Role.OWNER), url)
    assert [r[0] for r in everything[1:]] == [theirs.pk, mine.pk]
