"""Online recharge endpoints: open an order, read its status; roles and store scope."""

from __future__ import annotations

import json
import time

import pytest

from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.payments.models import OnlineOrder, SandboxCharge
from huiyuan.payments.providers.sandbox import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

from .conftest import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.PAYMENTS_PROVIDERS = ["sandbox"]
    settings.PAYMENTS_SANDBOX_KEY = "k"


def test_open_an_order_and_follow_its_status(as_staff, cashier, owner, client):
    c = card(cashier, owner)
    counter = as_staff(Role.CASHIER)
    body = {"card_id": c.pk, "amount_fen": 8_800, "provider": "sandbox"}
    r = counter.post("/payments/orders", body, **{"Idempotency-Key": "o1"})
    assert r.status_code == 201, r.json()
    out = r.json()
    assert (out["status"], out["amount_fen"], out["pay_url"]) == (
        "pending",
        8_800,
        f"/pay/sandbox/{out['number']}/",
    )
    assert (
        counter.post("/payments/orders", body, **{"Idempotency-Key": "o1"}).json()["id"]
        == out["id"]
    )
    # the sandbox's signed notification arrives
    charge = SandboxCharge.objects.get(order_number=out["number"])
    raw = json.dumps(
        {
            "order_number": out["number"],
            "trade_no": charge.trade_no,
            "amount_fen": 8_800,
            "status": "SUCCESS",
        }
    ).encode()
    ts = str(int(time.time()))
    client.post(
        "/pay/notify/sandbox/",
        data=raw,
        content_type="application/json",
        headers={TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(ts, raw, b"k")},
    )
    status = counter.get(f"/payments/orders/{out['id']}").json()
    assert (status["status"], status["provider_trade_no"]) == ("paid", charge.trade_no)
    assert status["recharge_id"] is not None
    assert balances(c)["principal"] == 8_800


def test_bad_input_is_refused_with_a_code(as_staff, cashier, owner, settings):
    c = card(cashier, owner)
    counter = as_staff(Role.CASHIER)
    r = counter.post(
        "/payments/orders",
        {"card_id": c.pk, "amount_fen": 600_000, "provider": "sandbox"},
        **{"Idempotency-Key": key()},
    )
    assert error_of(r)["code"] == "prepaid_limit_exceeded"
    r = counter.post(
        "/payments/orders",
        {"card_id": c.pk, "amount_fen": "100", "provider": "sandbox"},
        **{"Idempotency-Key": key()},
    )
    assert r.status_code == 422
    r = counter.post(
        "/payments/orders",
        {"card_id": c.pk, "amount_fen": 100, "provider": "wechat"},
        **{"Idempotency-Key": key()},
    )
    assert error_of(r)["code"] == "provider_unavailable"
    r = counter.post(
        "/payments/orders", {"card_id": c.pk, "amount_fen": 100, "provider": "sandbox"}
    )
    assert error_of(r)["code"] == "idempotency_key_required"
    assert OnlineOrder.objects.count() == 0


def test_an_order_of_another_store_is_not_found(as_staff, cashier, owner, stores):
    c = card(cashier, owner)
    hq = as_staff(Role.HQ_ADMIN)
    r = hq.post(
        "/payments/orders",
        {"card_id": c.pk, "amount_fen": 100, "provider": "sandbox"},
        **{"Idempotency-Key": key()},
    )
    assert r.status_code == 201, r.json()
    OnlineOrder.objects.filter(pk=r.json()["id"]).update(store=stores[1])
    r2 = as_staff(Role.CASHIER).get(f"/payments/orders/{r.json()['id']}")
    assert error_of(r2)["code"] == "order_not_found"


# Every payments operation, with a valid body: the role matrix below.
PAYMENT_CALLS = [
    ("POST", "/payments/orders", {"card_id": 1, "amount_fen": 100, "provider": "sandbox"}),
    ("GET", "/payments/orders/{order_id}", None),
]
PAYMENT_ROUTES = {(method, path) for method, path, _body in PAYMENT_CALLS}
PAYMENT_PATHS: dict[str, set[str]] = {}
for _method, _path, _body in PAYMENT_CALLS:
    PAYMENT_PATHS.setdefault(f"/api/v1{_path}", set()).add(_method.lower())
PAYMENT_KEYED = {(m.lower(), f"/api/v1{p}") for m, p, _b in PAYMENT_CALLS if m != "GET"}


@pytest.mark.parametrize(("method", "path", "body"), PAYMENT_CALLS)
def test_a_role_without_payment_permissions_is_refused(as_staff, method, path, body):
    """The marketer holds neither wallet.recharge nor payment.view."""
    marketer = as_staff(Role.MARKETER)
    response = marketer.call(method, path.format(order_id=1), body, **{"Idempotency-Key": key()})
    assert response.status_code == 403, (method, path, response.content)


def test_the_sale_api_takes_the_payment_pin(as_staff, cashier, owner):
    from huiyuan.payments.services.pin import pin_set
    from huiyuan.selfservice.actor import MemberActor
    from huiyuan.wallet.services import wallet_recharge

    c = card(cashier, owner)
    wallet_recharge(
        actor=cashier, card_id=c.pk, amount_fen=10_000, method="cash", idempotency_key=key()
    )
    pin_set(actor=MemberActor(member_id=c.member_id), new_pin="135790")
    counter = as_staff(Role.CASHIER)
    body = {"card_id": c.pk, "amount_fen": 3_000, "balance_fen": 3_000}
    r = counter.post("/sales/quick", {**body, "pin": "000000"}, **{"Idempotency-Key": key()})
    assert (r.status_code, error_of(r)["code"]) == (403, "pin_wrong")
    assert balances(c)["principal"] == 10_000
    r = counter.post("/sales/quick", body, **{"Idempotency-Key": key()})
    assert error_of(r)["code"] == "pin_required"
    r = counter.post("/sales/quick", {**body, "pin": "135790"}, **{"Idempotency-Key": key()})
    assert r.status_code == 201, r.json()
    assert balances(c)["principal"] == 7_000
