"""Commission over HTTP: rules (Idempotency-Key), the report and its Excel export, pages."""

from __future__ import annotations

import io
import json

import openpyxl
from django.test import Client

from huiyuan.commission.tests.test_commission import _rules, _sell
from huiyuan.core.clock import local_today
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import key


def _client(staff):
    client = Client()
    client.force_login(staff)
    return client


def test_rules_report_and_export(shop, owner, cashier, staff, stores):
    boss = _client(staff[Role.OWNER])
    body = {"kind": "category", "category_code": "drinks", "method": "percent", "rate_bp": 500}
    no_key = boss.post(
        "/api/v1/commission/rules", json.dumps(body), content_type="application/json"
    )
    assert no_key.status_code == 422
    made = boss.post(
        "/api/v1/commission/rules",
        json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key()},
    )
    assert made.status_code == 201, made.content
    manager = _client(staff[Role.STORE_MANAGER])
    refused = manager.post(
        "/api/v1/commission/rules",
        json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key()},
    )
    assert refused.status_code == 403
    _sell(cashier, staff[Role.CASHIER], (shop.coffee, 2000), pay=5600)
    month = local_today().strftime("%Y-%m")
    lines = manager.get(f"/api/v1/commission/report?month={month}").json()
    assert [(line["staff_id"], line["total_fen"]) for line in lines] == [
        (staff[Role.CASHIER].pk, 280)
    ]
    assert (
        manager.get(f"/api/v1/commission/report?month={month}&store_id={stores[1].pk}").status_code
        == 403
    )
    xlsx = manager.get(f"/api/v1/commission/report.xlsx?month={month}")
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][3] == 2.8 and rows[1][6] == 2.8  # numbers, not formulas
    page = manager.get("/commission/")
    assert page.status_code == 200 and "¥2.80" in page.content.decode()
    assert _client(staff[Role.CASHIER]).get("/commission/").status_code == 403
    assert boss.get("/commission/rules/").status_code == 200


def test_the_rules_page_sets_a_rule(owner, staff, shop):
    boss = _client(staff[Role.OWNER])
    response = boss.post(
        "/commission/rules/",
        {"kind": "recharge", "method": "percent", "percent": "1.5", "idempotency_key": key()},
    )
    assert response.status_code == 302
    from huiyuan.commission.models import CommissionRule

    assert CommissionRule.objects.get().rate_bp == 150
    _rules(owner)
