"""Console pages of payments: online orders (store scope), their detail, the PIN policy,
and the counter's quick sale asking for the PIN."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from huiyuan.cards.models import Card
from huiyuan.checkout.tests.conftest import funded, shop  # noqa: F401 - fixtures
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.payments.models import OnlineOrder, PaymentPin, PinPolicy
from huiyuan.payments.services.orders import online_order_create
from huiyuan.payments.services.pin import pin_set
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


def _client(staff, role: Role) -> Client:
    c = Client()
    c.force_login(staff[role])
    return c


def _no_inline(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+=", html), "on* attribute"
    assert not re.search(r"\sstyle=", html), "style attribute"


def test_orders_list_and_detail_are_store_scoped(staff, stores, me, member_card):
    order = online_order_create(
        actor=me,
        card_id=member_card.pk,
        amount_fen=12_300,
        provider="sandbox",
        notify_base_url="http://x",
    )
    cashier = _client(staff, Role.CASHIER)
    html = cashier.get("/payments/orders/").content.decode()
    _no_inline(html)
    assert order.number in html and "¥123.00" in html and "待支付" in html
    detail = cashier.get(f"/payments/orders/{order.pk}/").content.decode()
    assert "尚未收到通知" in detail and "¥123.00" in detail
    OnlineOrder.objects.filter(pk=order.pk).update(store=stores[1])
    assert order.number not in cashier.get("/payments/orders/").content.decode()
    assert cashier.get(f"/payments/orders/{order.pk}/").status_code == 404
    owner = _client(staff, Role.OWNER)
    assert order.number in owner.get("/payments/orders/").content.decode()
    marketer = _client(staff, Role.MARKETER)
    assert marketer.get("/payments/orders/").status_code == 403


def test_pin_policy_page(staff):
    owner = _client(staff, Role.OWNER)
    html = owner.get("/payments/pin-policy/").content.decode()
    _no_inline(html)
    r = owner.post(
        "/payments/pin-policy/", {"threshold": "200", "max_failures": "3", "lockout_minutes": "20"}
    )
    assert r.status_code == 302
    policy = PinPolicy.current()
    assert (policy.threshold_fen, policy.max_failures, policy.lockout_minutes) == (20_000, 3, 20)
    bad = owner.post(
        "/payments/pin-policy/",
        {"threshold": "1.234", "max_failures": "3", "lockout_minutes": "20"},
    )
    assert bad.status_code == 200 and PinPolicy.current().threshold_fen == 20_000
    assert _client(staff, Role.CASHIER).get("/payments/pin-policy/").status_code == 403


def test_counter_quick_sale_takes_the_pin(staff, me, topped_up):
    pin_set(actor=me, new_pin="135790")
    cashier = _client(staff, Role.CASHIER)
    data = {
        "card": topped_up.number,
        "amount": "30",
        "category": "",
        "balance": "30",
        "points": "",
        "external_method": "cash",
    }
    page = cashier.get(f"/counter/sale/?q={topped_up.number}").content.decode()
    assert 'data-testid="sale-pin"' in page
    wrong = cashier.post("/counter/sale/", {**data, "pin": "000000", "idempotency_key": key()})
    html = wrong.content.decode()
    assert wrong.status_code == 200 and "支付密码错误" in html
    assert "000000" not in html  # the PIN typed is never echoed back
    assert balances(topped_up)["principal"] == 50_000
    assert PaymentPin.objects.get(member_id=me.member_id).failures == 1
    done = cashier.post("/counter/sale/", {**data, "pin": "135790", "idempotency_key": key()})
    assert done.status_code == 302
    assert balances(topped_up)["principal"] == 47_000


def test_counter_basket_takes_the_pin(client_for, shop, funded):  # noqa: F811
    from huiyuan.checkout.models import Sale
    from huiyuan.console.tests.test_counter_basket import PAGE, basket_post, idem

    pin_set(actor=MemberActor(member_id=funded.member_id), new_pin="135790")
    cashier = client_for(Role.CASHIER)
    html = cashier.get(f"{PAGE}?q={funded.number}").content.decode()
    assert 'data-testid="pay-pin"' in html
    before = balances(funded)
    form = basket_post(shop, funded.number, idem(html), balance="50", pin="000000")
    wrong = cashier.post(PAGE, form)
    assert wrong.status_code == 200 and "支付密码错误" in wrong.content.decode()
    assert "000000" not in wrong.content.decode()
    assert balances(funded) == before and Sale.objects.count() == 0
    done = cashier.post(PAGE, {**form, "pin": "135790"})
    assert done.status_code == 302
    assert balances(funded)["principal"] == before["principal"] - 5_000
