"""Recharge and refund over HTTP: exact balances, idempotent replay, refusals change nothing."""

from __future__ import annotations

import pytest

from huiyuan.api.tests import money
from huiyuan.api.tests.conftest import ApiClient, error_of, new_client, translated
from huiyuan.cards import services as card_services
from huiyuan.core.permissions import Role
from huiyuan.wallet.services import recharge_package_create


@pytest.fixture
def holder(owner, stores):
    return money.member(owner, stores[0], "13800000001", name="张三丰")


@pytest.fixture
def card(owner, staff, stores, holder):
    return money.card(money.at_store(staff[Role.CASHIER], stores[0]), owner, holder, stores[0])


@pytest.fixture
def package(owner):
    return recharge_package_create(actor=owner, name="充500送50", pay_fen=50000, bonus_fen=5000)


@pytest.fixture
def manager_pos(terminal, key_for) -> ApiClient:
    return ApiClient(new_client(), {"X-API-Key": key_for(terminal, Role.STORE_MANAGER)})


def recharge(client, card, body, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"/cards/{card.pk}/recharge", body, **headers)


def test_recharge_with_a_package(pos, card, package, stores, holder):
    response = recharge(
        pos, card, {"amount_fen": 50000, "method": "wechat", "package_id": package.pk}, "k1"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "id": body["id"],
        "operation_id": body["operation_id"],
        "card": {"id": card.pk, "number": card.number},
        "member_id": holder.pk,
        "store_id": stores[0].pk,
        "method": "wechat",
        "principal_fen": 50000,
        "bonus_fen": 5000,
        "package_id": package.pk,
        "created_at": body["created_at"],
        "balances_after": {"principal_fen": 50000, "bonus_fen": 5000, "points": 0},
    }
    assert money.balances(card) == {"principal": 50000, "bonus": 5000, "points": 0}
    lots = pos.get(f"/cards/{card.pk}/lots").json()
    assert [(lot["kind"], lot["remaining"], lot["store_id"]) for lot in lots] == [
        ("bonus", 5000, stores[0].pk)
    ]


def test_recharge_replay_and_conflict(pos, card):
    body = {"amount_fen": 10000, "method": "cash"}
    first = recharge(pos, card, body, "same-key")
    assert first.status_code == 201
    before = money.money_snapshot()
    again = recharge(pos, card, body, "same-key")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert money.money_snapshot() == before
    conflict = recharge(pos, card, {**body, "amount_fen": 20000}, "same-key")
    assert conflict.status_code == 409
    assert error_of(conflict)["code"] == "idempotency_key_reused"
    assert money.money_snapshot() == before
    assert money.balances(card)["principal"] == 10000


def test_recharge_replay_survives_later_changes(pos, card):
    body = {"amount_fen": 10000, "method": "cash"}
    first = recharge(pos, card, body, "k-first").json()
    recharge(pos, card, body, "k-second")
    pos.post(f"/cards/{card.pk}/report-lost", {"reason": "丢失"})
    replay = recharge(pos, card, body, "k-first")
    assert replay.status_code == 201
    assert replay.json() == first
    assert replay.json()["balances_after"]["principal_fen"] == 10000


@pytest.mark.parametrize(
    "body",
    [
        {"amount_fen": 100.0, "method": "cash"},
        {"amount_fen": 100.5, "method": "cash"},
        {"amount_fen": "100", "method": "cash"},
        {"amount_fen": True, "method": "cash"},
        {"amount_fen": 0, "method": "cash"},
        {"amount_fen": -100, "method": "cash"},
        {"amount_fen": 10_000_001, "method": "cash"},
        {"amount_fen": 2**70, "method": "cash"},
        {"amount_fen": 100, "method": "bitcoin"},
        {"amount_fen": 100},
        {"amount_fen": 100, "method": "cash", "bonus_fen": 100},
    ],
    ids=[
        "float",
        "fraction",
        "string",
        "bool",
        "zero",
        "negative",
        "over-limit",
        "huge",
        "method",
        "no-method",
        "extra-field",
    ],
)
def test_recharge_refuses_malformed_money(pos, card, body):
    before = money.money_snapshot()
    response = recharge(pos, card, body, money.key())
    assert response.status_code == 422, response.content
    assert error_of(response)["code"] == "invalid_request"
    assert money.money_snapshot() == before


def test_recharge_needs_an_idempotency_key(pos, card):
    before = money.money_snapshot()
    for headers in [{}, {"Idempotency-Key": ""}, {"Idempotency-Key": "x" * 101}]:
        response = pos.post(
            f"/cards/{card.pk}/recharge", {"amount_fen": 100, "method": "cash"}, **headers
        )
        assert response.status_code == 422
        error = error_of(response)
        assert error["code"] == "idempotency_key_required"
        assert error["field"] == "Idempotency-Key"
        assert error["message"] == "请提供 Idempotency-Key 请求头（1–100 个字符）。"
    assert money.money_snapshot() == before


def test_recharge_refusals_change_nothing(pos, owner, card, package):
    money.fund(money.at_store(card.issued_by, card.store), owner, card, 50000, 0, 0)
    cases = [
        # ¥5,000 named-card limit: ¥500 held, ¥4,600 more would pass it.
        ({"amount_fen": 460000, "method": "cash"}, 409, "prepaid_limit_exceeded"),
        (
            {"amount_fen": 40000, "method": "cash", "package_id": package.pk},
            422,
            "package_amount_mismatch",
        ),
        ({"amount_fen": 100, "method": "cash", "package_id": 999999}, 404, "unknown_package"),
    ]
    for body, status, code in cases:
        before = money.money_snapshot()
        response = recharge(pos, card, body, money.key())
        assert response.status_code == status, (body, response.content)
        assert error_of(response)["code"] == code
        assert money.money_snapshot() == before
    card_services.card_report_lost(actor=owner, card_id=card.pk, reason="丢失")
    before = money.money_snapshot()
    response = recharge(pos, card, {"amount_fen": 100, "method": "cash"}, money.key())
    assert (response.status_code, error_of(response)["code"]) == (409, "card_lost")
    assert money.money_snapshot() == before
    missing = recharge(pos, type(card)(pk=999999), {"amount_fen": 100, "method": "cash"}, "k")
    assert (missing.status_code, error_of(missing)["code"]) == (404, "card_not_found")
    assert money.money_snapshot() == before
    assert money.balances(card) == {"principal": 50000, "bonus": 0, "points": 0}


def test_api_messages_speak_chinese_by_default_and_english_on_request(pos, card):
    response = pos.get("/cards/999999")
    assert error_of(response)["message"] == translated("Card not found.") != "Card not found."
    response = pos.get("/cards/999999", **{"Accept-Language": "en"})
    assert error_of(response)["message"] == "Card not found."
    response = pos.get("/nowhere")
    assert error_of(response)["message"] == "未找到。"


def test_a_card_of_another_store_is_recharged_at_the_terminals_store(pos, owner, staff, stores):
    """通存通兑: the money is taken at the terminal's own store, whoever issued the card."""
    other = money.member(owner, stores[1], "13800000009")
    card = money.card(money.at_store(staff[Role.OWNER], stores[1]), owner, other, stores[1])
    response = recharge(pos, card, {"amount_fen": 10000, "method": "cash"}, money.key())
    assert response.status_code == 201
    assert response.json()["store_id"] == stores[0].pk


def test_refund_claws_back_bonus_pro_rata(pos, manager_pos, card, package, stores):
    recharge(pos, card, {"amount_fen": 50000, "method": "cash", "package_id": package.pk}, "k")
    body = {"amount_fen": 10000, "method": "cash", "reason": "顾客要求退款"}
    # A cashier may not refund.
    before = money.money_snapshot()
    denied = pos.post(f"/cards/{card.pk}/refund", body, **{"Idempotency-Key": "r1"})
    assert (denied.status_code, error_of(denied)["code"]) == (403, "permission_denied")
    assert money.money_snapshot() == before
    response = manager_pos.post(f"/cards/{card.pk}/refund", body, **{"Idempotency-Key": "r1"})
    assert response.status_code == 201, response.content
    refund = response.json()
    assert refund == {
        "id": refund["id"],
        "operation_id": refund["operation_id"],
        "card": {"id": card.pk, "number": card.number},
        "member_id": card.member_id,
        "store_id": stores[0].pk,
        "method": "cash",
        "principal_fen": 10000,
        "bonus_clawback_fen": 1000,
        "reason": "顾客要求退款",
        "created_at": refund["created_at"],
        "balances_after": {"principal_fen": 40000, "bonus_fen": 4000, "points": 0},
    }
    before = money.money_snapshot()
    replay = manager_pos.post(f"/cards/{card.pk}/refund", body, **{"Idempotency-Key": "r1"})
    assert (replay.status_code, replay.json()) == (201, refund)
    assert money.money_snapshot() == before
    too_much = manager_pos.post(
        f"/cards/{card.pk}/refund", {**body, "amount_fen": 40001}, **{"Idempotency-Key": "r2"}
    )
    assert (too_much.status_code, error_of(too_much)["code"]) == (409, "insufficient_principal")
    no_reason = manager_pos.post(
        f"/cards/{card.pk}/refund", {**body, "reason": ""}, **{"Idempotency-Key": "r3"}
    )
    assert (no_reason.status_code, error_of(no_reason)["code"]) == (422, "reason_required")
    assert money.money_snapshot() == before
    assert money.balances(card) == {"principal": 40000, "bonus": 4000, "points": 0}


def test_recharge_packages(pos, package):
    response = pos.get("/recharge-packages")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": package.pk,
            "name": "充500送50",
            "pay_fen": 50000,
            "bonus_fen": 5000,
            "bonus_valid_days": None,
            "is_active": True,
        }
    ]
