"""Portal pages of payments: recharge online through the sandbox, the result page, the PIN."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from huiyuan.cards.models import Card
from huiyuan.ledger.tests.factories import balances, card, key, member
from huiyuan.payments.models import OnlineOrder, PaymentPin, SandboxCharge
from huiyuan.payments.providers.sandbox import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from huiyuan.portal.tests.conftest import sign_in
from huiyuan.selfservice.actor import MemberActor
from huiyuan.wallet.services import recharge_package_create, wallet_recharge

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.PAYMENTS_PROVIDERS = ["sandbox"]
    settings.PAYMENTS_SANDBOX_KEY = "sandbox-test-key"


@pytest.fixture
def member_card(cashier, owner) -> Card:
    return card(cashier, owner)


@pytest.fixture
def me(member_card) -> MemberActor:
    return MemberActor(member_id=member_card.member_id)


@pytest.fixture
def topped_up(member_card, cashier) -> Card:
    wallet_recharge(
        actor=cashier,
        card_id=member_card.pk,
        amount_fen=50_000,
        method="cash",
        idempotency_key=key(),
    )
    return member_card


@pytest.fixture
def package_500(owner):
    return recharge_package_create(actor=owner, name="充500送50", pay_fen=50_000, bonus_fen=5_000)


@pytest.fixture
def member_client(member_card) -> Client:
    return sign_in(Client(), member_card.member)


def _notify(client: Client, order: OnlineOrder) -> None:
    charge = SandboxCharge.objects.get(order_number=order.number)
    raw = json.dumps(
        {
            "order_number": order.number,
            "trade_no": charge.trade_no,
            "amount_fen": order.amount_fen,
            "status": "SUCCESS",
        }
    ).encode()
    ts = str(int(time.time()))
    r = client.post(
        "/pay/notify/sandbox/",
        data=raw,
        content_type="application/json",
        headers={TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(ts, raw, b"sandbox-test-key")},
    )
    assert r.status_code == 200


def test_recharge_a_package_through_the_sandbox(member_client, member_card, package_500):
    page = member_client.get("/m/recharge/").content.decode()
    assert "¥500.00" in page and "¥50.00" in page
    r = member_client.post(
        "/m/recharge/", {"card": member_card.pk, "package": package_500.pk, "provider": "sandbox"}
    )
    order = OnlineOrder.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/pay/sandbox/{order.number}/"
    charge = SandboxCharge.objects.get()
    assert charge.return_url.endswith(f"/m/recharge/orders/{order.number}/")
    waiting = member_client.get(f"/m/recharge/orders/{order.number}/").content.decode()
    assert 'data-status="pending"' in waiting and 'http-equiv="refresh"' in waiting
    _notify(Client(), order)
    done = member_client.get(f"/m/recharge/orders/{order.number}/").content.decode()
    assert 'data-status="paid"' in done and "http-equiv" not in done
    assert balances(member_card) == {"principal": 50_000, "bonus": 5_000, "points": 0}


def test_an_amount_over_the_limit_says_why(member_client, member_card):
    r = member_client.post(
        "/m/recharge/", {"card": member_card.pk, "amount": "6000", "provider": "sandbox"}
    )
    assert r.status_code == 200
    assert 'data-testid="recharge-error"' in r.content.decode()
    assert OnlineOrder.objects.count() == 0


def test_another_members_card_and_order_are_not_found(member_client, member_card, cashier, owner):
    other = card(cashier, owner, holder=member(cashier, name="李四"))
    r = member_client.post(
        "/m/recharge/", {"card": other.pk, "amount": "10", "provider": "sandbox"}
    )
    assert r.status_code == 404
    theirs = sign_in(Client(), other.member)
    theirs.post("/m/recharge/", {"card": other.pk, "amount": "10", "provider": "sandbox"})
    order = OnlineOrder.objects.get()
    assert member_client.get(f"/m/recharge/orders/{order.number}/").status_code == 404


def test_set_and_change_the_pin_in_the_portal(member_client, member_card):
    page = member_client.get("/m/pin/").content.decode()
    assert 'data-testid="pin-current"' not in page
    r = member_client.post("/m/pin/", {"new_pin": "135790", "confirm_pin": "135791"})
    assert 'data-testid="pin-error"' in r.content.decode() and not PaymentPin.objects.exists()
    r = member_client.post("/m/pin/", {"new_pin": "135790", "confirm_pin": "135790"})
    assert r.status_code == 302
    page = member_client.get("/m/pin/").content.decode()
    assert 'data-testid="pin-current"' in page
    r = member_client.post(
        "/m/pin/", {"current_pin": "000000", "new_pin": "246802", "confirm_pin": "246802"}
    )
    assert 'data-testid="pin-error"' in r.content.decode()
    r = member_client.post(
        "/m/pin/", {"current_pin": "135790", "new_pin": "246802", "confirm_pin": "246802"}
    )
    assert r.status_code == 302
    assert PaymentPin.objects.get().failures == 0


def test_pages_need_a_member(client):
    assert client.get("/m/recharge/")["Location"].startswith("/m/signin/")
    assert client.get("/m/pin/")["Location"].startswith("/m/signin/")
