"""Points over HTTP: adjustment (keyed), rule versions, dry runs, tiers and the reports."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.api.tests import money
from huiyuan.api.tests.conftest import ApiClient, error_of, new_client
from huiyuan.core.permissions import Role
from huiyuan.ledger.models import Lot
from huiyuan.tiers.models import MemberTier
from huiyuan.tiers.services import tier_create


@pytest.fixture
def card(owner, staff, stores):
    money.rule(owner)
    holder = money.member(owner, stores[0], "13800000001", name="张三丰")
    c = money.card(money.at_store(staff[Role.CASHIER], stores[0]), owner, holder, stores[0])
    money.fund(money.at_store(staff[Role.CASHIER], stores[0]), owner, c, 0, 0, 1000)
    return c


@pytest.fixture
def manager_pos(terminal, key_for) -> ApiClient:
    return ApiClient(new_client(), {"X-API-Key": key_for(terminal, Role.STORE_MANAGER)})


@pytest.fixture
def owner_api(as_staff):
    return as_staff(Role.OWNER)


def adjust(client, card, body, key):
    return client.post(f"/cards/{card.pk}/points/adjust", body, **{"Idempotency-Key": key})


def test_adjust_points(manager_pos, card):
    response = adjust(manager_pos, card, {"delta": -300, "reason": "兑换礼品"}, "a1")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "operation_id": body["operation_id"],
        "card_id": card.pk,
        "delta": -300,
        "reason": "兑换礼品",
        "created_at": body["created_at"],
        "balances_after": {"principal_fen": 0, "bonus_fen": 0, "points": 700},
    }
    adjust(manager_pos, card, {"delta": 50, "reason": "补偿"}, "a2")
    before = money.money_snapshot()
    replay = adjust(manager_pos, card, {"delta": -300, "reason": "兑换礼品"}, "a1")
    assert (replay.status_code, replay.json()) == (201, body)
    conflict = adjust(manager_pos, card, {"delta": -301, "reason": "兑换礼品"}, "a1")
    assert (conflict.status_code, error_of(conflict)["code"]) == (409, "idempotency_key_reused")
    assert money.money_snapshot() == before
    assert money.balances(card)["points"] == 750


@pytest.mark.parametrize(
    "body,status,code",
    [
        ({"delta": -1001, "reason": "x"}, 409, "insufficient_points"),
        ({"delta": 0, "reason": "x"}, 422, "invalid_points"),
        ({"delta": 1.0, "reason": "x"}, 422, "invalid_request"),
        ({"delta": "10", "reason": "x"}, 422, "invalid_request"),
        ({"delta": 10_000_001, "reason": "x"}, 422, "invalid_request"),
        ({"delta": 10, "reason": ""}, 422, "reason_required"),
    ],
)
def test_adjust_refusals_change_nothing(manager_pos, card, body, status, code):
    before = money.money_snapshot()
    response = adjust(manager_pos, card, body, money.key())
    assert response.status_code == status, response.content
    assert error_of(response)["code"] == code
    assert money.money_snapshot() == before


def test_expired_points_cannot_be_taken(manager_pos, card):
    Lot.objects.filter(account__card_id=card.pk).update(
        expires_at=timezone.now() - dt.timedelta(days=1)
    )
    before = money.money_snapshot()
    response = adjust(manager_pos, card, {"delta": -1, "reason": "x"}, money.key())
    assert (response.status_code, error_of(response)["code"]) == (409, "insufficient_points")
    assert money.money_snapshot() == before


def test_publish_a_rule_version_and_dry_run(owner_api):
    start = timezone.now() + dt.timedelta(days=1)
    first = owner_api.post(
        "/points/rules",
        {
            "code": "double",
            "name": "双倍积分",
            "priority": 10,
            "unit_fen": 100,
            "points_per_unit": 2,
            "special_days": [{"date": "2031-11-11", "multiplier_pct": 150, "label": "双11"}],
        },
    )
    assert first.status_code == 201, first.content
    assert (first.json()["version"], first.json()["points_per_unit"]) == (1, 2)
    assert first.json()["special_days"] == [
        {"date": "2031-11-11", "multiplier_pct": 150, "label": "双11"}
    ]
    second = owner_api.post(
        "/points/rules",
        {"code": "double", "points_per_unit": 3, "effective_from": start.isoformat()},
    )
    assert second.status_code == 201, second.content
    assert (second.json()["version"], second.json()["name"]) == (2, "双倍积分")
    listed = owner_api.get("/points/rules").json()
    assert [(r["code"], r["version"]) for r in listed] == [("double", 2), ("double", 1)]
    current = owner_api.get("/points/rules?current=true").json()
    assert [(r["code"], r["version"]) for r in current] == [("double", 2)]
    at = timezone.now() + dt.timedelta(minutes=1)  # v1 is in effect; v2 starts tomorrow
    dry = owner_api.post("/points/dry-run", {"amount_fen": 12345, "at": at.isoformat()})
    assert dry.status_code == 200, dry.content
    assert dry.json() == {
        "points": 246,
        "rule": "double v1",
        "rule_id": first.json()["id"],
        "steps": [
            {
                "code": "base",
                "params": {
                    "rule": "double v1",
                    "rule_name": "双倍积分",
                    "amount_fen": 12345,
                    "unit_fen": 100,
                    "units": 123,
                    "rounding": "floor",
                    "points_per_unit": 2,
                    "points": 246,
                },
                "text": "双倍积分：实付 ¥123.45，每 ¥1.00 为一单位 = 123 单位"
                "（不足一单位部分不积分）× 2 = 246 分",
            }
        ],
    }


def test_a_rule_cannot_be_backdated(owner_api):
    first = owner_api.post("/points/rules", {"code": "base", "name": "每1元1分"})
    assert first.status_code == 201, first.content
    before = owner_api.get("/points/rules").json()
    past = (timezone.now() - dt.timedelta(days=2)).isoformat()
    response = owner_api.post(
        "/points/rules", {"code": "base", "points_per_unit": 2, "effective_from": past}
    )
    assert (response.status_code, error_of(response)["code"]) == (422, "effective_from_in_past")
    assert owner_api.get("/points/rules").json() == before


@pytest.mark.parametrize(
    "body",
    [
        {"code": "x", "name": "y", "effective_from": "2030-01-01T00:00:00"},  # no time zone
        {"code": "x", "name": "y", "unit_fen": 0},
        {"code": "x", "name": "y", "unit_fen": 1.5},
        {"code": "x", "name": "y", "special_days": [{"multiplier_pct": 200}]},
        {"code": "x y", "name": "y"},
    ],
)
def test_rule_refusals(owner_api, card, body):
    before = money.money_snapshot()
    response = owner_api.post("/points/rules", body)
    assert (response.status_code, error_of(response)["code"]) == (422, "invalid_request")
    assert money.money_snapshot() == before


def test_tiers_and_a_manual_move(manager_pos, pos, owner, card):
    gold = tier_create(actor=owner, code="gold", name="金卡", level=2, discount_permille=950)
    tiers = pos.get("/tiers")
    assert tiers.status_code == 200
    assert [(t["code"], t["discount_permille"]) for t in tiers.json()] == [("gold", 950)]
    before = money.money_snapshot()
    path = f"/members/{card.member_id}/tier"
    denied = pos.post(path, {"tier_id": gold.pk, "reason": "x"})
    assert (denied.status_code, error_of(denied)["code"]) == (403, "permission_denied")
    unknown = manager_pos.post(path, {"tier_id": 999999, "reason": "x"})
    assert (unknown.status_code, error_of(unknown)["code"]) == (404, "unknown_tier")
    assert money.money_snapshot() == before
    response = manager_pos.post(
        path, {"tier_id": gold.pk, "reason": "店长特批", "protected_until": "2030-12-31"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["tier"]["code"] == "gold"
    assert response.json()["protected_until"] == "2030-12-31"
    state = MemberTier.objects.get(member_id=card.member_id)
    assert (state.tier_id, state.protected_until) == (gold.pk, dt.date(2030, 12, 31))
    # The tier's price applies at the counter: 95折 of ¥100.
    sale = pos.post(
        "/sales/quick",
        {"card_id": card.pk, "amount_fen": 10000, "external_method": "cash"},
        **{"Idempotency-Key": "t1"},
    ).json()
    assert (sale["tier_code"], sale["discount_fen"], sale["payable_fen"]) == ("gold", 500, 9500)
    assert sale["lines"][1] == {
        "kind": "tier_discount",
        "amount_fen": 500,
        "points": None,
        "method": None,
    }


def test_reports(as_staff, pos, owner, staff, stores, card):
    other = money.member(owner, stores[1], "13800000002")
    there = money.at_store(staff[Role.OWNER], stores[1])
    card2 = money.card(there, owner, other, stores[1])
    money.fund(there, owner, card2, 20000, 0, 0)
    pos.post(
        f"/cards/{card.pk}/recharge",
        {"amount_fen": 30000, "method": "cash"},
        **{"Idempotency-Key": "r1"},
    )
    # Spent at the first store from the card recharged at the second (通存通兑).
    pos.post(
        "/sales/quick",
        {"card_id": card2.pk, "amount_fen": 5000, "balance_fen": 5000},
        **{"Idempotency-Key": "s1"},
    )
    response = as_staff(Role.MARKETER).get("/reports/outstanding")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total"] == {"principal_fen": 45000, "bonus_fen": 0}
    rows = {row["store"]["code"]: row for row in body["stores"]}
    assert rows["S01"] == {
        "store": {"id": stores[0].pk, "code": "S01", "name": "旗舰店"},
        "recharged_fen": 30000,
        "spent_here_fen": 5000,
        "refunded_fen": 0,
        "bonus_granted_fen": 0,
        "net_fen": 25000,
    }
    assert (rows["S02"]["recharged_fen"], rows["S02"]["net_fen"]) == (20000, 20000)
    # A store manager sees their own store only.
    manager = as_staff(Role.STORE_MANAGER).get("/reports/outstanding").json()
    assert [row["store"]["code"] for row in manager["stores"]] == ["S01"]
    liability = as_staff(Role.OWNER).get("/reports/points-liability")
    assert liability.status_code == 200
    assert liability.json() == {
        "points": 1050,
        "pending": 0,
        "spendable": 1050,
        "cards": 2,
        "value_fen": 1050,
        "issued": 50,
        "redeemed": 0,
        "expired": 0,
        "adjusted": 1000,
    }


def test_revoke_a_grant_over_http(manager_pos, card):
    grant = adjust(manager_pos, card, {"delta": 70, "reason": "误发"}, "g1").json()["operation_id"]
    body = {"operation_id": grant, "reason": "误发积分"}
    response = manager_pos.post(
        f"/cards/{card.pk}/points/revoke", body, **{"Idempotency-Key": "r1"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["delta"] == -70
    assert response.json()["balances_after"]["points"] == 1000
    again = manager_pos.post(f"/cards/{card.pk}/points/revoke", body, **{"Idempotency-Key": "r1"})
    assert again.json()["operation_id"] == response.json()["operation_id"]
    before = money.money_snapshot()
    twice = manager_pos.post(f"/cards/{card.pk}/points/revoke", body, **{"Idempotency-Key": "r2"})
    assert (twice.status_code, error_of(twice)["code"]) == (409, "already_reversed")
    other = manager_pos.post(
        f"/cards/{card.pk + 999}/points/revoke", body, **{"Idempotency-Key": "r3"}
    )
    assert other.status_code == 404
    assert money.money_snapshot() == before
