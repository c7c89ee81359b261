"""Quick sales over HTTP: the receipt, idempotent replay, refusals, reversal, 补积分."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.api.tests import money
from huiyuan.api.tests.conftest import ApiClient, error_of, new_client
from huiyuan.cards import services as card_services
from huiyuan.core.permissions import Role
from huiyuan.ledger.models import Lot
from huiyuan.ledger.verify import verify_ledger
from huiyuan.members import services as member_services


@pytest.fixture
def funded(owner, staff, stores):
    """A card at the first store: ¥500 principal, ¥50 bonus, 1,000 points; 1 point per ¥1."""
    money.rule(owner)
    holder = money.member(owner, stores[0], "13800000001", name="张三丰")
    cashier = money.at_store(staff[Role.CASHIER], stores[0])
    card = money.card(cashier, owner, holder, stores[0])
    money.fund(cashier, owner, card, 50000, 5000, 1000)
    return card


@pytest.fixture
def manager_pos(terminal, key_for) -> ApiClient:
    return ApiClient(new_client(), {"X-API-Key": key_for(terminal, Role.STORE_MANAGER)})


BIG_SALE = {
    "amount_fen": 56000,
    "balance_fen": 54000,
    "points": 500,
    "external_method": "cash",
    "category": "服装",
}


def sell(client, body, key):
    return client.post("/sales/quick", body, **{"Idempotency-Key": key})


def test_sale_receipt_with_every_line(pos, funded, stores):
    response = sell(pos, {**BIG_SALE, "card_id": funded.pk}, "s1")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "id": body["id"],
        "number": body["number"],
        "status": "completed",
        "store": {"id": stores[0].pk, "code": "S01", "name": "旗舰店"},
        "card": {"id": funded.pk, "number": funded.number},
        "member": {"id": funded.member_id, "code": funded.member.code, "name": "张三丰"},
        "category": "服装",
        "tier_code": "",
        "amount_fen": 56000,
        "discount_fen": 0,
        "payable_fen": 56000,
        "paid_principal_fen": 50000,
        "paid_bonus_fen": 4000,
        "points_used": 500,
        "points_offset_fen": 500,
        "paid_external_fen": 1500,
        "external_method": "cash",
        "lines": [
            {"kind": "amount", "amount_fen": 56000, "points": None, "method": None},
            {"kind": "points_offset", "amount_fen": 500, "points": 500, "method": None},
            {"kind": "principal", "amount_fen": 50000, "points": None, "method": None},
            {"kind": "bonus", "amount_fen": 4000, "points": None, "method": None},
            {"kind": "external", "amount_fen": 1500, "points": None, "method": "cash"},
        ],
        "payments": [{"method": "cash", "amount_fen": 1500}],
        # A quick sale is a basket of one amount-only line, priced by the same engine.
        "items": [
            {
                "id": body["items"][0]["id"],
                "position": 1,
                "product_id": None,
                "sku": "",
                "name": "服装",
                "category_path": ["服装"],
                "unit": "",
                "unit_price_fen": 56000,
                "quantity_milli": 1000,
                "returned_milli": 0,
                "list_fen": 56000,
                "discount_fen": 0,
                "payable_fen": 56000,
                "points_offset_fen": 500,
                "points_used": 500,
                "principal_fen": 50000,
                "bonus_fen": 4000,
                "external_fen": 1500,
                "points_earned": 515,
                "adjustments": [],
                "components": [],
                "notes": [],
            }
        ],
        "notes": [
            "500 积分抵扣 ¥5.00（100 积分抵 ¥1，最多抵应付的 50%）",
            "储值支付 ¥540.00：本金 ¥500.00，赠送金 ¥40.00（先扣本金）",
        ],
        "returns": [],
        "returned_payable_fen": 0,
        # Points on money actually paid: ¥500 principal + ¥15 cash.
        "points_earned": 515,
        "earn_explanation": {
            "points": 515,
            "rule": "base v1",
            "rule_id": body["earn_explanation"]["rule_id"],
            "steps": [
                {
                    "code": "base",
                    "params": {
                        "rule": "base v1",
                        "rule_name": "每消费1元积1分",
                        "amount_fen": 51500,
                        "unit_fen": 100,
                        "units": 515,
                        "rounding": "floor",
                        "points_per_unit": 1,
                        "points": 515,
                    },
                    "text": "每消费1元积1分：实付 ¥515.00，每 ¥1.00 为一单位 = 515 单位"
                    "（不足一单位部分不积分）× 1 = 515 分",
                }
            ],
            "supplemented": False,
        },
        "balances_after": {"principal_fen": 0, "bonus_fen": 1000, "points": 1000 - 500 + 515},
        "created_at": body["created_at"],
        "reversed_at": None,
        "supplemented_at": None,
    }
    assert body["number"].startswith("S01")
    assert pos.get(f"/sales/{body['id']}").json() == body
    assert pos.get(f"/sales/by-number/{body['number']}").json() == body
    assert verify_ledger().ok


def test_sale_replay_returns_the_first_receipt(pos, funded):
    body = {"card_id": funded.pk, "amount_fen": 1000, "balance_fen": 1000}
    first = sell(pos, body, "pos-retry")
    assert first.status_code == 201
    sell(pos, body, "another-sale")
    before = money.money_snapshot()
    replay = sell(pos, body, "pos-retry")
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.json()["balances_after"]["principal_fen"] == 49000
    assert money.money_snapshot() == before
    conflict = sell(pos, {**body, "amount_fen": 1001}, "pos-retry")
    assert (conflict.status_code, error_of(conflict)["code"]) == (409, "idempotency_key_reused")
    missing = pos.post("/sales/quick", body)
    assert (missing.status_code, error_of(missing)["code"]) == (422, "idempotency_key_required")
    assert money.money_snapshot() == before
    assert money.balances(funded)["principal"] == 48000


def test_sale_refusals_change_nothing(pos, owner, funded):
    cases = [
        (
            {"amount_fen": 60000, "balance_fen": 56000, "external_method": "cash"},
            409,
            "insufficient_balance",
        ),
        ({"amount_fen": 1000, "points": 2000}, 422, "points_offset_too_high"),
        (
            {"amount_fen": 100000, "points": 1100, "external_method": "cash"},
            409,
            "insufficient_points",
        ),
        ({"amount_fen": 1000, "balance_fen": 500}, 422, "external_method_required"),
        ({"amount_fen": 1000, "balance_fen": 2000}, 422, "overpaid"),
        ({"amount_fen": 10.5, "external_method": "cash"}, 422, "invalid_request"),
        ({"amount_fen": 1000.0, "external_method": "cash"}, 422, "invalid_request"),
        ({"amount_fen": "1000", "external_method": "cash"}, 422, "invalid_request"),
        (
            {"amount_fen": 1000, "balance_fen": -1, "external_method": "cash"},
            422,
            "invalid_request",
        ),
        ({"amount_fen": 1000, "points": 1.5, "external_method": "cash"}, 422, "invalid_request"),
        ({"amount_fen": 100_000_001, "external_method": "cash"}, 422, "invalid_request"),
    ]
    for extra, status, code in cases:
        before = money.money_snapshot()
        response = sell(pos, {"card_id": funded.pk, **extra}, money.key())
        assert response.status_code == status, (extra, response.content)
        assert error_of(response)["code"] == code, extra
        assert money.money_snapshot() == before
    assert money.balances(funded) == {"principal": 50000, "bonus": 5000, "points": 1000}


def test_expired_points_cannot_pay(pos, funded):
    Lot.objects.filter(account__card_id=funded.pk, account__kind="points").update(
        expires_at=timezone.now() - dt.timedelta(days=1)
    )
    before = money.money_snapshot()
    response = sell(
        pos,
        {"card_id": funded.pk, "amount_fen": 10000, "points": 100, "external_method": "cash"},
        money.key(),
    )
    assert (response.status_code, error_of(response)["code"]) == (409, "insufficient_points")
    assert error_of(response)["details"] == {"needed": 100, "available": 0}
    assert money.money_snapshot() == before
    assert pos.get(f"/cards/{funded.pk}").json()["balances"]["points_available"] == 0


def test_a_lost_card_and_a_frozen_member_cannot_pay(pos, owner, funded):
    body = {"card_id": funded.pk, "amount_fen": 1000, "balance_fen": 1000}
    card_services.card_report_lost(actor=owner, card_id=funded.pk, reason="丢失")
    before = money.money_snapshot()
    response = sell(pos, body, money.key())
    assert (response.status_code, error_of(response)["code"]) == (409, "card_lost")
    assert money.money_snapshot() == before
    card_services.card_unreport_lost(actor=owner, card_id=funded.pk, reason="找到")
    member_services.member_freeze(
        actor=owner, member_id=funded.member_id, earning=False, spending=True, reason="争议"
    )
    before = money.money_snapshot()
    response = sell(pos, body, money.key())
    assert (response.status_code, error_of(response)["code"]) == (409, "member_spend_frozen")
    assert money.money_snapshot() == before
    assert money.balances(funded) == {"principal": 50000, "bonus": 5000, "points": 1000}


def test_reverse_gives_back_exactly_what_the_sale_took(pos, manager_pos, funded):
    lots_before = pos.get(f"/cards/{funded.pk}/lots").json()
    sale = sell(pos, {**BIG_SALE, "card_id": funded.pk}, "s1").json()
    path = f"/sales/{sale['id']}/reverse"
    denied = pos.post(path, {"reason": "退货"}, **{"Idempotency-Key": "r1"})
    assert (denied.status_code, error_of(denied)["code"]) == (403, "permission_denied")
    response = manager_pos.post(path, {"reason": "退货"}, **{"Idempotency-Key": "r1"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "reversed" and body["reversed_at"] is not None
    assert body["balances_after"] == sale["balances_after"]  # the receipt still shows the sale
    assert money.balances(funded) == {"principal": 50000, "bonus": 5000, "points": 1000}
    lots_after = pos.get(f"/cards/{funded.pk}/lots").json()
    assert {(lot["id"], lot["remaining"]) for lot in lots_before} <= {
        (lot["id"], lot["remaining"]) for lot in lots_after
    }
    before = money.money_snapshot()
    replay = manager_pos.post(path, {"reason": "退货"}, **{"Idempotency-Key": "r1"})
    assert (replay.status_code, replay.json()) == (200, body)
    again = manager_pos.post(path, {"reason": "退货"}, **{"Idempotency-Key": "r2"})
    assert (again.status_code, error_of(again)["code"]) == (409, "already_reversed")
    conflict = manager_pos.post(path, {"reason": "其他"}, **{"Idempotency-Key": "r1"})
    assert (conflict.status_code, error_of(conflict)["code"]) == (409, "idempotency_key_reused")
    assert money.money_snapshot() == before
    assert verify_ledger().ok


def test_walk_in_sale_then_supplementary_points(pos, funded):
    walk_in = sell(pos, {"amount_fen": 12345, "external_method": "alipay"}, "w1")
    assert walk_in.status_code == 201
    receipt = walk_in.json()
    assert (receipt["card"], receipt["member"], receipt["balances_after"]) == (None, None, None)
    assert receipt["points_earned"] == 0
    path = f"/sales/{receipt['number']}/supplement-points"
    response = pos.post(path, {"card_id": funded.pk}, **{"Idempotency-Key": "p1"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["points_earned"] == 123
    assert body["earn_explanation"]["supplemented"] is True
    assert body["card"] == {"id": funded.pk, "number": funded.number}
    assert body["balances_after"] == {"principal_fen": 50000, "bonus_fen": 5000, "points": 1123}
    before = money.money_snapshot()
    replay = pos.post(path, {"card_id": funded.pk}, **{"Idempotency-Key": "p1"})
    assert (replay.status_code, replay.json()) == (200, body)
    twice = pos.post(path, {"card_id": funded.pk}, **{"Idempotency-Key": "p2"})
    assert (twice.status_code, error_of(twice)["code"]) == (409, "sale_has_member")
    assert money.money_snapshot() == before


def test_unknown_sales(pos):
    assert error_of(pos.get("/sales/999999"))["code"] == "sale_not_found"
    assert error_of(pos.get("/sales/by-number/S0199"))["code"] == "sale_not_found"
    response = pos.post("/sales/999999/reverse", {"reason": "x"}, **{"Idempotency-Key": "k"})
    assert response.status_code == 403  # a cashier may not reverse, whatever the sale
