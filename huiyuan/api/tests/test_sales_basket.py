"""Basket sales over HTTP: quote, complete, receipt with lines, returns, the list, export."""

from __future__ import annotations

import io

import openpyxl
import pytest

from huiyuan.api.tests.conftest import ApiClient, error_of, new_client, staff_client
from huiyuan.checkout.tests.conftest import funded, shop  # noqa: F401 - fixtures
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import balances
from huiyuan.ledger.verify import verify_ledger


@pytest.fixture
def manager_pos(terminal, key_for) -> ApiClient:
    return ApiClient(new_client(), {"X-API-Key": key_for(terminal, Role.STORE_MANAGER)})


def basket(shop, funded) -> dict:  # noqa: F811
    lines = [
        {"code": "6901234567892", "quantity_milli": 2000},
        {"product_id": shop.tea.pk, "quantity_milli": 1000},
        {"product_id": shop.cake.pk, "quantity_milli": 1000},
    ]
    return {"lines": lines, "card_id": funded.pk, "points": 1000, "balance_fen": 5000}


# Routes whose role rules are not a plain permission (a cashier returns with a manager's
# password), so the money matrix cannot state them: the tests here do, role by role.
SALES_ROUTES_TESTED_BY_ROLE = {
    ("POST", "/sales/{sale_id}/returns"),  # test_quote_then_sale_then_a_return_over_http,
    # test_a_cashier_returns_with_the_managers_password
}


def test_quote_then_sale_then_a_return_over_http(pos, manager_pos, shop, funded):  # noqa: F811
    body = basket(shop, funded)
    quote = pos.post("/sales/quote", body)
    assert quote.status_code == 200, quote.content
    q = quote.json()
    assert (q["payable_fen"], q["external_fen"], q["points_max"]) == (8840, 2840, 1000)
    assert [line["name"] for line in q["lines"]] == ["拿铁", "绿茶", "蛋糕"]
    payments = [{"method": "cash", "amount_fen": 2000}, {"method": "wechat", "amount_fen": 840}]
    missing = pos.post("/sales", {**body, "payments": payments})
    assert (missing.status_code, error_of(missing)["code"]) == (422, "idempotency_key_required")
    response = pos.post("/sales", {**body, "payments": payments}, **{"Idempotency-Key": "b1"})
    assert response.status_code == 201, response.content
    sale = response.json()
    assert (sale["payable_fen"], sale["paid_external_fen"], sale["external_method"]) == (
        8840,
        2840,
        "mixed",
    )
    assert sale["payments"] == payments
    assert [i["points_earned"] for i in sale["items"]] == [49, 11, 17]
    assert sale["balances_after"] == {"principal_fen": 45000, "bonus_fen": 5000, "points": 77}
    replay = pos.post("/sales", {**body, "payments": payments}, **{"Idempotency-Key": "b1"})
    assert (replay.status_code, replay.json()) == (201, sale)

    coffee = sale["items"][0]
    path = f"/sales/{sale['id']}/returns"
    give_back = {
        "lines": [{"sale_line_id": coffee["id"], "quantity_milli": 1000}],
        "reason": "退一杯",
    }
    denied = pos.post(path, give_back, **{"Idempotency-Key": "r1"})
    assert (denied.status_code, error_of(denied)["code"]) == (403, "authorisation_required")
    done = manager_pos.post(path, give_back, **{"Idempotency-Key": "r1"})
    assert done.status_code == 201, done.content
    ret = done.json()
    assert (ret["principal_fen"], ret["external_fen"], ret["points_returned"]) == (1583, 899, 317)
    assert ret["refund_payments"] == [{"method": "cash", "amount_fen": 899}]
    assert ret["lines"][0]["sale_line_id"] == coffee["id"]
    too_much = manager_pos.post(
        path,
        {"lines": [{"sale_line_id": coffee["id"], "quantity_milli": 2000}], "reason": "再退"},
        **{"Idempotency-Key": "r2"},
    )
    assert (too_much.status_code, error_of(too_much)["code"]) == (409, "return_exceeds_sold")
    receipt = pos.get(f"/sales/{sale['id']}").json()
    assert receipt["items"][0]["returned_milli"] == 1000
    assert [r["number"] for r in receipt["returns"]] == [ret["number"]]
    assert receipt["returned_payable_fen"] == 2799
    assert balances(funded) == {"principal": 46583, "bonus": 5000, "points": 370}
    assert verify_ledger().ok


def test_a_cashier_returns_with_the_managers_password(pos, shop, funded):  # noqa: F811
    sale = pos.post(
        "/sales",
        {
            "lines": [{"product_id": shop.tea.pk, "quantity_milli": 1000}],
            "card_id": funded.pk,
            "balance_fen": 1250,
        },
        **{"Idempotency-Key": "t1"},
    ).json()
    body = {
        "lines": [{"sale_line_id": sale["items"][0]["id"], "quantity_milli": 1000}],
        "reason": "质量问题",
        "authorised_by": {"username": "manager", "password": "wrong"},
    }
    path = f"/sales/{sale['id']}/returns"
    wrong = pos.post(path, body, **{"Idempotency-Key": "a1"})
    assert (wrong.status_code, error_of(wrong)["code"]) == (403, "authorisation_failed")
    body["authorised_by"]["password"] = "Counter-pass-2026"
    ok = pos.post(path, body, **{"Idempotency-Key": "a2"})
    assert ok.status_code == 201, ok.content
    assert ok.json()["authorised_by"] == "manager"
    assert balances(funded)["principal"] == 50000


@pytest.mark.parametrize(
    "line,status,code",
    [
        ({"code": "nope-1234", "quantity_milli": 1000}, 404, "unknown_product"),
        ({"code": "6901234567892", "quantity_milli": -1000}, 422, "invalid_quantity"),
        ({"code": "6901234567892", "quantity_milli": 1500}, 422, "fractional_quantity"),
        ({"code": "6901234567892", "quantity_milli": 1000.0}, 422, "invalid_request"),
        ({"code": "6901234567892", "quantity_milli": "1000"}, 422, "invalid_request"),
        ({"product_id": True, "quantity_milli": 1000}, 422, "invalid_request"),
    ],
)
def test_bad_lines_are_refused(pos, shop, line, status, code):  # noqa: F811
    response = pos.post(
        "/sales",
        {"lines": [line], "payments": [{"method": "cash", "amount_fen": 2800}]},
        **{"Idempotency-Key": "x"},
    )
    assert response.status_code == status, response.content
    assert error_of(response)["code"] == code


def test_the_list_its_filters_scope_and_export(pos, staff, stores, shop):  # noqa: F811
    for i in range(3):
        pos.post(
            "/sales",
            {
                "lines": [{"product_id": shop.tea.pk, "quantity_milli": 1000 * (i + 1)}],
                "payments": [{"method": "cash", "amount_fen": 1250 * (i + 1)}],
            },
            **{"Idempotency-Key": f"l{i}"},
        )
    manager = staff_client(staff[Role.STORE_MANAGER])
    page = manager.get("/sales?limit=2").json()
    assert (page["count"], len(page["items"])) == (3, 2)
    assert [s["payable_fen"] for s in page["items"]] == [3750, 2500]
    number = page["items"][0]["number"]
    found = manager.get(f"/sales?number={number[-8:]}").json()
    assert [s["number"] for s in found["items"]] == [number]
    other = manager.get(f"/sales?store_id={stores[1].pk}")
    assert (other.status_code, error_of(other)["code"]) == (403, "store_forbidden")
    assert manager.get("/sales?date_from=2000-01-01&date_to=2000-01-02").json()["count"] == 0
    assert manager.get("/sales?status=returned").json()["count"] == 0
    export = manager.get("/sales/export.xlsx")
    assert export.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert len(rows) == 4
    assert rows[1][8] == 37.5  # payable, a number in yuan
    assert not any(isinstance(v, str) and v.startswith("=") for row in rows for v in row)
    cashier = staff_client(staff[Role.CASHIER])
    assert cashier.get("/sales").json()["count"] == 3
    denied = cashier.get("/sales/export.xlsx")
    assert (denied.status_code, error_of(denied)["code"]) == (403, "permission_denied")


def test_a_walk_in_customer_joins_with_the_sale_over_http(pos, owner, shop):  # noqa: F811
    from huiyuan.checkout.models import JoiningPolicy
    from huiyuan.checkout.services import joining_policy_set
    from huiyuan.ledger.tests.factories import card_type
    from huiyuan.members.models import Member

    card_type(owner)
    joining_policy_set(actor=owner, mode=JoiningPolicy.Mode.FIRST_PURCHASE, fee_fen=500)
    body = {
        "lines": [{"product_id": shop.tea.pk, "quantity_milli": 1000}],
        "enrol": {"mobile": "139 1234 5678", "name": "韩梅梅"},
    }
    quote = pos.post("/sales/quote", body)
    assert quote.status_code == 200, quote.content
    assert (quote.json()["joining"], quote.json()["payable_fen"]) == ("new", 1750)
    payments = [{"method": "cash", "amount_fen": 1750}]
    sale = pos.post("/sales", {**body, "payments": payments}, **{"Idempotency-Key": "join-1"})
    assert sale.status_code == 201, sale.content
    member = Member.objects.get()
    assert member.name == "韩梅梅"
    assert sale.json()["member"]["code"] == member.code
    bad = pos.post("/sales/quote", {**body, "enrol": {"mobile": "12"}})
    assert (bad.status_code, error_of(bad)["code"]) == (422, "invalid_mobile")
