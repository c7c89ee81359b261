"""Shifts over HTTP: the API (Idempotency-Key, schema) and the console pages."""

from __future__ import annotations

import json

from django.test import Client

from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import key
from huiyuan.shifts.models import Shift


def _client(staff):
    client = Client()
    client.force_login(staff)
    return client


def _post(client, path, body, idem=None):
    headers = {"Idempotency-Key": idem} if idem else {}
    return client.post(
        f"/api/v1{path}", data=json.dumps(body), content_type="application/json", headers=headers
    )


def test_open_close_and_read_a_shift_over_the_api(staff, stores):
    cashier = _client(staff[Role.CASHIER])
    assert _post(cashier, "/shifts", {"float_fen": 10000}).status_code == 422  # no key
    k = key()
    opened = _post(cashier, "/shifts", {"float_fen": 10000}, k)
    assert opened.status_code == 201, opened.content
    body = opened.json()
    assert body["status"] == "open" and body["expected"] == [
        {"method": "cash", "amount_fen": 10000}
    ]
    assert _post(cashier, "/shifts", {"float_fen": 10000}, k).json()["id"] == body["id"]
    again = _post(cashier, "/shifts", {"float_fen": 10000}, key())
    assert again.status_code == 409 and again.json()["error"]["code"] == "shift_already_open"
    assert cashier.get("/api/v1/shifts/current").json()["id"] == body["id"]
    closed = _post(
        cashier,
        f"/shifts/{body['id']}/close",
        {"counted": {"cash": 9950, "wechat": 0}},
        key(),
    )
    assert closed.status_code == 200, closed.content
    assert closed.json()["cash_difference_fen"] == -50
    assert cashier.get("/api/v1/shifts/current").status_code == 404
    assert cashier.get("/api/v1/shifts").status_code == 403  # the day's view: managers
    manager = _client(staff[Role.STORE_MANAGER])
    day = manager.get("/api/v1/shifts")
    assert [s["id"] for s in day.json()] == [body["id"]]
    assert manager.get(f"/api/v1/shifts?store_id={stores[1].pk}").status_code == 403


def test_the_console_opens_closes_and_prints_the_slip(staff, stores):
    cashier = _client(staff[Role.CASHIER])
    page = cashier.get("/shifts/")
    assert page.status_code == 200 and "open-form" in page.content.decode()
    response = cashier.post("/shifts/", {"float_fen": "200.00", "idempotency_key": key()})
    assert response.status_code == 302
    shift = Shift.objects.get()
    assert shift.float_fen == 20000
    response = cashier.post(
        "/shifts/", {"action": "close", "cash": "199.50", "idempotency_key": key()}
    )
    assert response.status_code == 302 and response["Location"] == f"/shifts/{shift.pk}/"
    slip = cashier.get(response["Location"]).content.decode()
    assert "¥199.50" in slip and "-¥0.50" in slip
    manager = _client(staff[Role.STORE_MANAGER])
    assert "shift-row" in manager.get("/shifts/day/").content.decode()
    assert cashier.get("/shifts/day/").status_code == 403
