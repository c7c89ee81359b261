"""Card endpoints: issue, balances, lots, entries, images and the lifecycle, over HTTP."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.api.tests import money
from huiyuan.api.tests.conftest import ApiClient, error_of, new_client
from huiyuan.cards.models import Card
from huiyuan.core.permissions import Role


@pytest.fixture
def chain(owner):
    money.rule(owner)
    return money.card_type(owner)


@pytest.fixture
def holder(owner, stores):
    return money.member(owner, stores[0], "13800000001", name="张三丰")


@pytest.fixture
def funded(chain, owner, staff, stores, holder):
    """A card at the first store: ¥500 principal, ¥50 bonus, 1,000 points."""
    cashier = money.at_store(staff[Role.CASHIER], stores[0])
    c = money.card(cashier, owner, holder, stores[0])
    money.fund(cashier, owner, c, 50000, 5000, 1000)
    return c


@pytest.fixture
def manager_pos(terminal, key_for) -> ApiClient:
    return ApiClient(new_client(), {"X-API-Key": key_for(terminal, Role.STORE_MANAGER)})


def test_issue_an_electronic_card(pos, chain, holder, stores):
    response = pos.post("/cards", {"card_type_id": chain.pk, "member_id": holder.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    card = Card.objects.get(pk=body["id"])
    assert len(card.number) == 16 and card.number.startswith("6")
    assert body == {
        "id": card.pk,
        "number": card.number,
        "status": "active",
        "card_type": {"id": chain.pk, "code": "std", "name": "普通卡"},
        "member_id": holder.pk,
        "store": {"id": stores[0].pk, "code": "S01", "name": "旗舰店"},
        "issued_at": body["issued_at"],
        "expires_at": body["expires_at"],
        "replaced_by": None,
        "status_reason": "",
        "balances": {
            "principal_fen": 0,
            "bonus_fen": 0,
            "points": 0,
            "bonus_available_fen": 0,
            "points_available": 0,
            "points_pending": 0,
            "points_pending_next": None,
            "available_fen": 0,
        },
    }
    assert card.expires_at is not None and card.expires_at.year == card.issued_at.year + 2


def test_issue_refusals_change_nothing(pos, chain, holder, stores, funded):
    cases = [
        # A terminal key issues cards only at its own store (store scope: card_issue).
        (
            {"card_type_id": chain.pk, "member_id": holder.pk, "store_id": stores[1].pk},
            403,
            "out_of_store_scope",
        ),
        (
            {"card_type_id": chain.pk, "member_id": holder.pk, "number": funded.number},
            409,
            "duplicate_card_number",
        ),
        ({"card_type_id": 999999, "member_id": holder.pk}, 404, "unknown_card_type"),
        ({"card_type_id": chain.pk, "member_id": 999999}, 404, "member_not_found"),
        ({"card_type_id": chain.pk}, 422, "member_required"),
        (
            {"card_type_id": chain.pk, "member_id": holder.pk, "number": "12"},
            422,
            "invalid_request",
        ),
        ({"card_type_id": chain.pk, "member_id": holder.pk, "balance": 1}, 422, "invalid_request"),
    ]
    for body, status, code in cases:
        before = money.money_snapshot()
        response = pos.post("/cards", body)
        assert response.status_code == status, (body, response.content)
        assert error_of(response)["code"] == code
        assert money.money_snapshot() == before


def test_card_by_id_and_number_with_balances(pos, funded, holder):
    expected = {
        "principal_fen": 50000,
        "bonus_fen": 5000,
        "points": 1000,
        "bonus_available_fen": 5000,
        "points_available": 1000,
        "points_pending": 0,
        "points_pending_next": None,
        "available_fen": 55000,
    }
    by_id = pos.get(f"/cards/{funded.pk}")
    by_number = pos.get(f"/cards/by-number/{funded.number}")
    assert by_id.status_code == by_number.status_code == 200
    assert by_id.json() == by_number.json()
    assert by_id.json()["balances"] == expected
    listed = pos.get(f"/members/{holder.pk}/cards")
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()] == [funded.pk]
    assert listed.json()[0]["balances"] == expected


def test_unknown_card_and_member(pos, chain):
    for path in [
        "/cards/999999",
        "/cards/by-number/000000",
        "/cards/999999/lots",
        "/cards/999999/entries",
        "/cards/999999/qr.svg",
    ]:
        response = pos.get(path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "card_not_found"
    response = pos.get("/members/999999/cards")
    assert error_of(response)["code"] == "member_not_found"


def test_lots(pos, funded):
    response = pos.get(f"/cards/{funded.pk}/lots")
    assert response.status_code == 200
    lots = [
        (lot["kind"], lot["amount"], lot["remaining"], lot["expired"], lot["source_kind"])
        for lot in response.json()
    ]
    assert sorted(lots) == [
        ("bonus", 5000, 5000, False, "recharge_bonus"),
        ("points", 1000, 1000, False, "points_adjust"),
    ]


def test_entries_are_paginated_newest_first(pos, funded):
    first = pos.get(f"/cards/{funded.pk}/entries?limit=2")
    assert first.status_code == 200
    body = first.json()
    assert (body["count"], body["limit"], body["offset"]) == (3, 2, 0)
    assert [(e["account"], e["delta"], e["balance_after"], e["kind"]) for e in body["items"]] == [
        ("points", 1000, 1000, "points_adjust"),
        ("bonus", 5000, 5000, "recharge_bonus"),
    ]
    rest = pos.get(f"/cards/{funded.pk}/entries?limit=2&offset=2").json()
    assert [(e["account"], e["delta"], e["balance_after"]) for e in rest["items"]] == [
        ("principal", 50000, 50000)
    ]
    assert rest["items"][0]["operation_kind"] == "recharge"
    assert pos.get(f"/cards/{funded.pk}/entries?limit=0").status_code == 422
    assert pos.get(f"/cards/{funded.pk}/entries?limit=201").status_code == 422


@pytest.mark.parametrize("image", ["qr.svg", "barcode.svg"])
def test_card_images(pos, funded, image):
    response = pos.get(f"/cards/{funded.pk}/{image}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content


def test_card_types(pos, chain):
    response = pos.get("/card-types")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": chain.pk,
            "code": "std",
            "name": "普通卡",
            "category": "tier",
            "holding": "personal",
            "anonymous": False,
            "validity_months": 24,
            "max_holders": 1,
        }
    ]


def test_add_a_family_holder(pos, owner, stores, holder, chain):
    money.card_type(owner, "family", name="家庭卡", holding="family")
    family = pos.post(
        "/cards", {"card_type_id": money.card_type(owner, "family").pk, "member_id": holder.pk}
    ).json()
    spouse = money.member(owner, stores[0], "13800000002", name="李四")
    response = pos.post(f"/cards/{family['id']}/holders", {"member_id": spouse.pk})
    assert response.status_code == 201, response.content
    assert response.json()["member_id"] == spouse.pk
    assert [c["id"] for c in pos.get(f"/members/{spouse.pk}/cards").json()] == [family["id"]]
    before = money.money_snapshot()
    again = pos.post(f"/cards/{family['id']}/holders", {"member_id": spouse.pk})
    assert again.status_code == 409
    assert error_of(again)["code"] == "too_many_holders"
    assert money.money_snapshot() == before


def test_report_lost_and_found(pos, funded):
    lost = pos.post(f"/cards/{funded.pk}/report-lost", {"reason": "丢在公交车上"})
    assert lost.status_code == 200
    assert (lost.json()["status"], lost.json()["status_reason"]) == ("lost", "丢在公交车上")
    before = money.money_snapshot()
    twice = pos.post(f"/cards/{funded.pk}/report-lost", {"reason": "x"})
    assert (twice.status_code, error_of(twice)["code"]) == (409, "card_not_active")
    assert money.money_snapshot() == before
    found = pos.post(f"/cards/{funded.pk}/found", {"reason": "找到了"})
    assert found.status_code == 200
    assert found.json()["status"] == "active"
    assert found.json()["balances"]["principal_fen"] == 50000


def test_reissue_moves_everything_once(pos, funded):
    pos.post(f"/cards/{funded.pk}/report-lost", {"reason": "丢失"})
    key = money.key()
    body = {"number": "888800001111", "reason": "补卡"}
    first = pos.post(f"/cards/{funded.pk}/reissue", body, **{"Idempotency-Key": key})
    assert first.status_code == 201, first.content
    new = first.json()
    assert new["number"] == "888800001111"
    assert new["balances"] == {
        "principal_fen": 50000,
        "bonus_fen": 5000,
        "points": 1000,
        "bonus_available_fen": 5000,
        "points_available": 1000,
        "points_pending": 0,
        "points_pending_next": None,
        "available_fen": 55000,
    }
    old = pos.get(f"/cards/{funded.pk}").json()
    assert (old["status"], old["replaced_by"]) == ("void", "888800001111")
    assert old["balances"]["available_fen"] == 0
    # The same key and body again: the same new card, nothing moved twice.
    before = money.money_snapshot()
    replay = pos.post(f"/cards/{funded.pk}/reissue", body, **{"Idempotency-Key": key})
    assert replay.status_code == 201
    assert replay.json()["id"] == new["id"]
    assert money.money_snapshot() == before
    # The same key for another request is refused.
    conflict = pos.post(
        f"/cards/{funded.pk}/reissue",
        {**body, "number": "888800002222"},
        **{"Idempotency-Key": key},
    )
    assert (conflict.status_code, error_of(conflict)["code"]) == (409, "idempotency_key_reused")
    missing = pos.post(f"/cards/{new['id']}/reissue", body)
    assert (missing.status_code, error_of(missing)["code"]) == (422, "idempotency_key_required")
    assert money.money_snapshot() == before


def test_renew_and_cancel(pos, manager_pos, funded, chain, holder):
    expires = dt.datetime.fromisoformat(pos.get(f"/cards/{funded.pk}").json()["expires_at"])
    renewed = pos.post(f"/cards/{funded.pk}/renew", {"months": 12})
    assert renewed.status_code == 200
    assert dt.datetime.fromisoformat(renewed.json()["expires_at"]).year == expires.year + 1
    before = money.money_snapshot()
    refused = pos.post(f"/cards/{funded.pk}/cancel", {"reason": "x"})
    assert (refused.status_code, error_of(refused)["code"]) == (409, "card_not_empty")
    assert error_of(refused)["details"] == {"principal": 50000, "bonus": 5000, "points": 1000}
    assert money.money_snapshot() == before
    empty = pos.post("/cards", {"card_type_id": chain.pk, "member_id": holder.pk}).json()
    cancelled = pos.post(f"/cards/{empty['id']}/cancel", {"reason": "不用了"})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"


def test_issue_with_key_is_replayed(pos, chain, holder):
    body = {"card_type_id": chain.pk, "member_id": holder.pk}
    key = {"Idempotency-Key": "issue-1"}
    first = pos.post("/cards", body, **key)
    again = pos.post("/cards", body, **key)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Card.objects.filter(member=holder).count() == 1
    other = pos.post("/cards", {**body, "number": "88880001"}, **key)
    assert other.status_code == 409
    assert error_of(other)["code"] == "idempotency_key_reused"
    assert Card.objects.filter(member=holder).count() == 1
