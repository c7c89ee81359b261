"""Excel export of list pages: every row the filters keep (not only the page shown), money
as numbers in yuan, moments in the business time zone, text never turned into a formula,
and only what the viewer may see."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from decimal import Decimal

import openpyxl
import pytest
from django.db import transaction
from django.test import Client

from huiyuan.catalog.services.products import ProductInput, product_create
from huiyuan.core import xlsx
from huiyuan.core.clock import local_today
from huiyuan.core.permissions import Role
from huiyuan.events.services import event_emit
from huiyuan.followups.services import FollowupInput, followup_create
from huiyuan.stock.services.adjustments import stock_adjust

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.active.iter_rows(values_only=True))


def read(stream) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(stream.read()))
    return list(book.active.iter_rows(values_only=True))


# --------------------------------------------------------------------- the writer


def test_the_writer_keeps_kinds_and_never_writes_a_formula(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    moment = dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC)  # 07:30 on the 30th in Shanghai
    columns: tuple[xlsx.Column[dict], ...] = (
        xlsx.Column("名称", lambda r: r["name"]),
        xlsx.Column("金额", lambda r: r["fen"], "money"),
        xlsx.Column("数量", lambda r: r["n"], "number"),
        xlsx.Column("时间", lambda r: r["at"], "moment"),
        xlsx.Column("日期", lambda r: r["day"], "date"),
    )
    rows: Iterable[dict] = iter(
        [
            {"name": "=1+1", "fen": 12345, "n": 3, "at": moment, "day": dt.date(2026, 2, 28)},
            {"name": "空", "fen": None, "n": None, "at": None, "day": None},
        ]
    )
    got = read(xlsx.write(sheet_title="a/b:c", columns=columns, rows=rows))
    assert got[0] == ("名称", "金额", "数量", "时间", "日期")
    assert got[1][0] == "=1+1"  # text, not a formula
    assert Decimal(str(got[1][1])) == Decimal("123.45")
    assert got[1][2] == 3
    assert got[1][3] == dt.datetime(2026, 11, 30, 7, 30)
    assert got[1][4] == dt.datetime(2026, 2, 28)
    assert got[2] == ("空", None, None, None, None)


# ---------------------------------------------------------------------- the pages


@pytest.fixture
def products(owner) -> list:
    return [
        product_create(
            actor=owner,
            data=ProductInput(sku=f"SKU-{n:03d}", name=f"拿铁{n}", list_price_fen=2200 + n),
        )
        for n in range(30)  # more than one page (25)
    ]


def test_products_export_every_filtered_row_not_only_the_page(client_for, products):
    client: Client = client_for(Role.HQ_ADMIN)
    page = client.get("/catalog/products/")
    assert 'data-testid="export-xlsx"' in page.content.decode()
    got = rows_of(client.get("/catalog/products/", {"export": "xlsx"}))
    assert got[0][:3] == ("商品编码", "条形码", "商品名称")
    assert len(got) == 31
    by_sku = {r[0]: r for r in got[1:]}
    assert Decimal(str(by_sku["SKU-007"][7])) == Decimal("22.07")
    filtered = rows_of(client.get("/catalog/products/", {"q": "SKU-01", "export": "xlsx"}))
    assert sorted(r[0] for r in filtered[1:]) == [f"SKU-{n:03d}" for n in range(10, 20)]


def test_the_export_button_keeps_the_filters_and_drops_the_page(client_for, products):
    html = client_for(Role.HQ_ADMIN).get("/catalog/products/", {"q": "SKU", "page": 2})
    text = html.content.decode()
    assert 'href="?q=SKU&amp;export=xlsx"' in text


def test_events_export(client_for):
    with transaction.atomic():
        event_emit("points.adjusted", payload={"card_id": 1, "operation_id": 1, "delta": 5})
        event_emit(
            "member.registered", payload={"channel": "store", "referrer_id": None}, member_id=9
        )
    got = rows_of(client_for(Role.HQ_ADMIN).get("/events/", {"export": "xlsx"}))
    assert [r[2] for r in got[1:]] == ["member.registered", "points.adjusted"]
    assert got[1][5] == 9
    assert client_for(Role.CASHIER).get("/events/", {"export": "xlsx"}).status_code == 403


def test_followups_export_of_the_chosen_view(client_for, make_member, actors, stores):
    member = make_member(name="王小明")
    followup_create(
        actor=actors[Role.STORE_MANAGER],
        data=FollowupInput(
            member_id=member.pk, due_date=local_today(), note="回访新品", store_id=stores[0].pk
        ),
    )
    got = rows_of(
        client_for(Role.STORE_MANAGER).get("/followups/", {"view": "all", "export": "xlsx"})
    )
    assert len(got) == 2
    assert got[1][0] == member.code
    assert got[1][1] == "王小明"
    assert got[1][8] == "回访新品"


def test_stock_movements_export_in_units_and_yuan(client_for, owner, stores, products):
    stock_adjust(
        actor=owner,
        store_id=stores[0].pk,
        product_id=products[0].pk,
        quantity_milli=3000,
        reason="盘盈",
        idempotency_key="adjust-1",
    )
    got = rows_of(client_for(Role.STORE_MANAGER).get("/stock/movements/", {"export": "xlsx"}))
    assert len(got) == 2
    assert got[1][3] == "拿铁0"
    assert got[1][5] == 3
    assert got[1][10] == "盘盈"


@pytest.mark.parametrize(
    ("url", "header"),
    [
        ("/coupons/", ("券码", "优惠券模板")),
        ("/gifts/redemptions/", ("兑换单号", "兑换时间")),
        ("/feedback/", ("意见编号", "登记时间")),
        ("/stock/purchases/", ("入库单号", "入库时间")),
        ("/followups/", ("会员号", "会员")),
        ("/events/", ("事件编号", "事件")),
        ("/gifts/", ("礼品编号", "礼品名称")),
        ("/stock/transfers/", ("调拨单号", "调出门店")),
    ],
)
def test_every_wired_list_offers_the_export(client_for, url, header):
    client = client_for(Role.OWNER)
    assert 'data-testid="export-xlsx"' in client.get(url).content.decode()
    got = rows_of(client.get(url, {"export": "xlsx"}))
    assert got[0][:2] == header


# ------------------------------------------------- the member export with full mobiles


def test_owner_exports_full_mobiles_and_the_export_is_audited(client_for, make_member):
    from huiyuan.audit.models import AuditEvent

    make_member(name="王小明", mobile="13700000001", id_number="11010519491231002X")
    make_member(name="李四", mobile="13911112222")
    client = client_for(Role.OWNER)
    assert 'data-testid="export-reveal"' in client.get("/members/").content.decode()
    got = rows_of(client.get("/members/export.xlsx", {"q": "wxm", "reveal": "1"}))
    assert len(got) == 2
    assert got[1][3] == "13700000001"
    assert got[1][6] == "11010519491231002X"
    event = AuditEvent.objects.get(action="member.export_revealed")
    assert event.after == {"members": 1}
    assert event.note == "q=wxm"


def test_a_marketer_may_export_masked_but_not_revealed(client_for, make_member):
    from huiyuan.audit.models import AuditEvent

    make_member(name="王小明", mobile="13700000001")
    client = client_for(Role.MARKETER)
    assert 'data-testid="export-reveal"' not in client.get("/members/").content.decode()
    before = AuditEvent.objects.count()
    assert client.get("/members/export.xlsx", {"reveal": "1"}).status_code == 403
    assert AuditEvent.objects.count() == before
    masked = rows_of(client.get("/members/export.xlsx"))
    assert masked[1][3] == "137****0001"
