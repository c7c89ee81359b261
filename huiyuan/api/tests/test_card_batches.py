"""The card batch endpoints (卡密): generate, sell, report, void, activate — keyed, strict."""

from __future__ import annotations

import json

import pytest

from huiyuan.api.tests.conftest import error_of
from huiyuan.cards import services as card_services
from huiyuan.cards.batch_export import card_batch_export
from huiyuan.cards.models import BatchCard, Card, CardBatch, CodeAttemptThrottle
from huiyuan.core.permissions import ROLE_PERMS, Perm, Role
from huiyuan.ledger.models import Operation
from huiyuan.ledger.tests.factories import key

# test_openapi lists every path; test_money_openapi every keyed operation.
CARD_BATCH_PATHS = {
    "/api/v1/card-batches": {"get", "post"},
    "/api/v1/card-batches/{batch_id}": {"get"},
    "/api/v1/card-batches/{batch_id}/sell": {"post"},
    "/api/v1/card-batches/{batch_id}/void": {"post"},
    "/api/v1/cards/activate": {"post"},
}
CARD_BATCH_KEYED = {
    ("post", "/api/v1/card-batches"),
    ("post", "/api/v1/card-batches/{batch_id}/sell"),
    ("post", "/api/v1/card-batches/{batch_id}/void"),
    ("post", "/api/v1/cards/activate"),
}

pytestmark = pytest.mark.django_db


@pytest.fixture
def gift(owner):
    return card_services.card_type_create(
        actor=owner, code="gift", name="礼品卡", category="multi", anonymous=True
    )


@pytest.fixture
def body(gift, stores):
    return {
        "card_type_id": gift.pk,
        "count": 3,
        "face_value_fen": 10_000,
        "store_id": stores[0].pk,
        "buyer_company": "华夏科技有限公司",
        "buyer_contact": "李经理 13912345678",
    }


def keyed(k: str | None = None) -> dict[str, str]:
    return {"Idempotency-Key": k or key()}


def create(api, body) -> dict:
    response = api.post("/card-batches", body, **keyed())
    assert response.status_code == 201, response.content
    return response.json()


def codes(owner, batch_id: int) -> list[tuple[str, str]]:
    export = card_batch_export(actor=owner, batch_id=batch_id, fmt="xlsx")
    return [(r.number, r.code) for r in export.rows]


def test_generate_sell_activate_void_through_the_api(as_staff, owner, body, make_member):
    api = as_staff(Role.OWNER)
    the_key = key()
    response = api.post("/card-batches", body, **keyed(the_key))
    assert response.status_code == 201, response.content
    batch = response.json()
    assert (batch["status"], batch["state"], batch["count"]) == ("generated", "generated", 3)
    assert batch["counts"] == {"generated": 3, "sold": 0, "pending": 3, "activated": 0, "voided": 0}
    assert batch["money"]["received_fen"] == 0 and batch["export_count"] == 0
    text = response.content.decode()
    assert "13912345678" not in text and "李经理" not in text  # the contact never leaves
    every_code = [c.replace("-", "") for _n, c in codes(owner, batch["id"])]
    assert not any(code in text for code in every_code)
    # A replay answers the same batch and makes nothing.
    again = api.post("/card-batches", body, **keyed(the_key))
    assert again.status_code == 201 and again.json()["id"] == batch["id"]
    assert CardBatch.objects.count() == 1 and Card.objects.count() == 3

    sold = api.post(f"/card-batches/{batch['id']}/sell", {"method": "enterprise"}, **keyed())
    assert sold.status_code == 200, sold.content
    assert sold.json()["state"] == "sold"
    assert sold.json()["money"]["received_fen"] == 30_000 == sold.json()["money"]["held_fen"]

    (number, code), *_rest = codes(owner, batch["id"])
    holder = make_member()
    cashier = as_staff(Role.CASHIER)
    done = cashier.post(
        "/cards/activate",
        {"card_number": number, "code": code.lower(), "member_id": holder.pk},
        **keyed(),
    )
    assert done.status_code == 201, done.content
    card = done.json()["card"]
    assert (card["number"], card["status"], card["member_id"]) == (number, "active", holder.pk)
    assert card["balances"]["principal_fen"] == 10_000
    assert done.json()["batch_id"] == batch["id"] and done.json()["serial"] == 1
    used = cashier.post("/cards/activate", {"card_number": number, "code": code}, **keyed())
    assert (used.status_code, error_of(used)["code"]) == (409, "code_already_used")

    voided = api.post(
        f"/card-batches/{batch['id']}/void",
        {"reason": "公司退回", "method": "enterprise"},
        **keyed(),
    )
    assert voided.status_code == 201, voided.content
    void = voided.json()
    assert (void["status"], void["cards_voided"], void["refunded_fen"]) == ("done", 2, 20_000)
    money = void["batch"]["money"]
    assert money == {
        "received_fen": 30_000,
        "activated_fen": 10_000,
        "held_fen": 0,
        "refunded_fen": 20_000,
        "difference_fen": 0,
        "balance_on_activated_fen": 10_000,
        "spent_fen": 0,
    }
    assert void["batch"]["state"] == "closed"
    detail = api.get(f"/card-batches/{batch['id']}")
    assert detail.status_code == 200 and detail.json() == void["batch"]
    listing = api.get("/card-batches").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == batch["id"]


def test_a_pending_card_reads_as_pending(as_staff, body):
    api = as_staff(Role.OWNER)
    batch = create(api, body)
    card = BatchCard.objects.filter(batch_id=batch["id"]).first().card
    response = api.get(f"/cards/{card.pk}")
    assert response.status_code == 200 and response.json()["status"] == "pending"


def test_wrong_codes_are_refused_then_locked(as_staff, owner, body):
    api = as_staff(Role.OWNER)
    batch = create(api, body)
    api.post(f"/card-batches/{batch['id']}/sell", {"method": "cash"}, **keyed())
    number, code = codes(owner, batch["id"])[0]
    cashier = as_staff(Role.CASHIER)
    for left in (4, 3, 2, 1):
        response = cashier.post(
            "/cards/activate", {"card_number": number, "code": "2222222222222222"}, **keyed()
        )
        error = error_of(response)
        assert (response.status_code, error["code"]) == (422, "invalid_card_or_code")
        assert error["details"] == {"attempts_left": left}
        assert error["message"].startswith("卡号或卡密不正确")
    response = cashier.post(
        "/cards/activate", {"card_number": number, "code": "2222222222222222"}, **keyed()
    )
    assert (response.status_code, error_of(response)["code"]) == (429, "activation_locked")
    assert "15" in error_of(response)["message"]
    response = cashier.post("/cards/activate", {"card_number": number, "code": code}, **keyed())
    assert response.status_code == 429
    assert Card.objects.get(number=number).status == Card.Status.PENDING
    # The address is counted too (the test client's 127.0.0.1), as a keyed hash.
    assert CodeAttemptThrottle.objects.filter(scope="address").get().failures == 5


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"count": "3"}, "count"),
        ({"count": 3.0}, "count"),
        ({"count": 10_001}, "count"),
        ({"card_type_id": True}, "card_type_id"),
        ({"face_value_fen": 100.5}, "face_value_fen"),
        ({"store_id": "1"}, "store_id"),
        ({"activate_by": "2026-13-01"}, "activate_by"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_input_is_strict(as_staff, body, change, field):
    response = as_staff(Role.OWNER).post("/card-batches", {**body, **change}, **keyed())
    error = error_of(response)
    assert (response.status_code, error["code"], error["field"]) == (422, "invalid_request", field)
    assert not CardBatch.objects.exists()


def test_writes_need_an_idempotency_key(as_staff, body):
    api = as_staff(Role.OWNER)
    response = api.post("/card-batches", body)
    assert (response.status_code, error_of(response)["code"]) == (422, "idempotency_key_required")
    batch = create(api, body)
    for path, payload in [
        (f"/card-batches/{batch['id']}/sell", {"method": "cash"}),
        (f"/card-batches/{batch['id']}/void", {"reason": "x", "method": "cash"}),
        ("/cards/activate", {"card_number": "6000000000000000", "code": "2222222222222222"}),
    ]:
        response = api.post(path, payload)
        assert (response.status_code, error_of(response)["code"]) == (
            422,
            "idempotency_key_required",
        ), path
    assert not Operation.objects.exists()


# (name, method, path, permission, body); {batch} is a generated batch of the first store.
ENDPOINTS = [
    ("create", "POST", "/card-batches", Perm.CARD_BATCH_MANAGE, "create"),
    ("list", "GET", "/card-batches", Perm.CARD_BATCH_VIEW, None),
    ("detail", "GET", "/card-batches/{batch}", Perm.CARD_BATCH_VIEW, None),
    ("sell", "POST", "/card-batches/{batch}/sell", Perm.CARD_BATCH_SELL, {"method": "cash"}),
    (
        "void",
        "POST",
        "/card-batches/{batch}/void",
        Perm.CARD_BATCH_MANAGE,
        {"reason": "x", "method": "cash"},
    ),
    ("activate", "POST", "/cards/activate", Perm.CARD_ACTIVATE, "activate"),
]
# Every routed operation is in a role matrix (test_permissions).
CARD_BATCH_ROUTES = {
    (method, path.replace("{batch}", "{batch_id}")) for _n, method, path, _p, _b in ENDPOINTS
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e[0])
def test_each_role_gets_what_its_permissions_say(as_staff, owner, body, role, endpoint):
    from huiyuan.cards.batches import BatchInput, card_batch_create, card_batch_sell

    _name, method, path, perm, payload = endpoint
    batch = card_batch_create(actor=owner, data=BatchInput(**body), idempotency_key=key())
    if payload == "activate":
        card_batch_sell(actor=owner, batch_id=batch.pk, method="cash", idempotency_key=key())
        number, code = codes(owner, batch.pk)[0]
        payload = {"card_number": number, "code": code}
    before = (CardBatch.objects.count(), Operation.objects.count(), BatchCard.objects.count())
    response = as_staff(role).call(
        method,
        path.format(batch=batch.pk),
        body if payload == "create" else payload,
        **keyed(),
    )
    if perm in ROLE_PERMS[role]:
        assert response.status_code in (200, 201), (role, response.content)
    else:
        assert (response.status_code, error_of(response)["code"]) == (403, "permission_denied")
        assert (
            CardBatch.objects.count(),
            Operation.objects.count(),
            BatchCard.objects.count(),
        ) == before


def test_a_store_manager_sees_and_sells_the_own_stores_batches_only(as_staff, body, stores):
    owner_api = as_staff(Role.OWNER)
    mine = create(owner_api, body)
    theirs = create(owner_api, {**body, "store_id": stores[1].pk})
    manager = as_staff(Role.STORE_MANAGER)
    listing = manager.get("/card-batches").json()
    assert [b["id"] for b in listing["items"]] == [mine["id"]]
    response = manager.get(f"/card-batches/{theirs['id']}")
    assert (response.status_code, error_of(response)["code"]) == (404, "card_batch_not_found")
    response = manager.post(f"/card-batches/{theirs['id']}/sell", {"method": "cash"}, **keyed())
    assert (response.status_code, error_of(response)["code"]) == (403, "store_forbidden")
    response = manager.get(f"/card-batches?store_id={stores[1].pk}")
    assert (response.status_code, error_of(response)["code"]) == (403, "store_forbidden")


def test_the_document_declares_keys_and_the_lockout(db, anon):
    document = json.loads(anon.client.get("/api/v1/openapi.json").content)
    for method, path in CARD_BATCH_KEYED:
        parameters = document["paths"][path][method]["parameters"]
        header = next(p for p in parameters if p["name"] == "Idempotency-Key")
        assert header["in"] == "header" and header["required"] is True
    activate = document["paths"]["/api/v1/cards/activate"]["post"]
    assert "429" in activate["responses"]
    schemas = document["components"]["schemas"]
    for name in ("CardBatchOut", "CardBatchRowOut", "CardActivationOut", "CardBatchVoidOut"):
        assert "code" not in schemas[name]["properties"]
        assert "buyer_contact" not in schemas[name]["properties"]
