"""Settlement over HTTP: the report, its Excel export and the page, store-scoped."""

from __future__ import annotations

import io

import openpyxl
from django.test import Client

from huiyuan.core.clock import local_today
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import card
from huiyuan.settlement.tests.test_settlement import recharge, spend


def _client(staff):
    client = Client()
    client.force_login(staff)
    return client


def test_report_export_and_page(stores, owner, cashier, staff):
    a, b = stores
    c = card(cashier, owner)
    recharge(owner, a, c, 10000)
    spend(owner, b, c, 2500)
    today = local_today().isoformat()
    q = f"date_from={today}&date_to={today}"
    boss = _client(staff[Role.OWNER])
    body = boss.get(f"/api/v1/settlement?{q}").json()
    assert body["chain_net_fen"] == 0
    assert {s["store_id"]: s["net_fen"] for s in body["stores"]} == {a.pk: -2500, b.pk: 2500}
    manager = _client(staff[Role.STORE_MANAGER])
    mine = manager.get(f"/api/v1/settlement?{q}").json()
    assert [s["store_id"] for s in mine["stores"]] == [a.pk] and mine["chain_net_fen"] is None
    assert manager.get(f"/api/v1/settlement?{q}&store_id={b.pk}").status_code == 403
    assert _client(staff[Role.CASHIER]).get(f"/api/v1/settlement?{q}").status_code == 403
    xlsx = boss.get(f"/api/v1/settlement/export.xlsx?{q}")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert [r[8] for r in rows[1:]] == [-25, 25]
    page = boss.get(f"/settlement/?date={today}&date_to={today}").content.decode()
    assert "zero-check" in page and "+¥25.00" in page
    assert "zero-check" not in manager.get("/settlement/").content.decode()
