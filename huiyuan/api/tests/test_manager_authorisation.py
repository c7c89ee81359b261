"""A cashier's sale reversal and stored-value refund through the API with a manager's
authorisation (``authorised_by``), as at the counter: without one → 403
``permission_denied``; wrong credentials → 403 ``authorisation_failed``, a colleague
without the right → ``authoriser_not_allowed``, and nothing changes; with the manager's →
done once (the Idempotency-Key), the audit naming the caller and the manager."""

from __future__ import annotations

import pytest

from conftest import PASSWORD, make_staff
from huiyuan.api.tests import money
from huiyuan.api.tests.conftest import ApiClient, error_of, new_client
from huiyuan.audit.models import AuditEvent
from huiyuan.checkout.models import Sale
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import balances
from huiyuan.wallet.models import Refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(owner, staff, stores):
    """A card at the first store with ¥100 principal, ¥10 bonus and 100 points."""
    there = money.at_store(staff[Role.OWNER], stores[0])
    money.rule(owner)
    holder = money.member(owner, stores[0], "13800000001")
    card = money.card(there, owner, holder, stores[0])
    money.fund(there, owner, card, 10000, 1000, 100)
    return card


def _wrong(client: ApiClient, path: str, body: dict, code: str) -> None:
    before = money.money_snapshot()
    response = client.post(path, body, **{"Idempotency-Key": money.key()})
    assert (response.status_code, error_of(response)["code"]) == (403, code), response.content
    assert money.money_snapshot() == before


def test_a_cashier_key_refunds_with_the_managers_password(pos, funded, stores):
    path = f"/cards/{funded.pk}/refund"
    body = {"amount_fen": 5000, "method": "cash", "reason": "顾客退卡"}
    start = balances(funded)
    _wrong(pos, path, body, "permission_denied")
    _wrong(
        pos,
        path,
        {**body, "authorised_by": {"username": "manager", "password": "x"}},
        ("authorisation_failed"),
    )
    _wrong(
        pos,
        path,
        {**body, "authorised_by": {"username": "cashier", "password": PASSWORD}},
        ("authoriser_not_allowed"),
    )
    make_staff("east", Role.STORE_MANAGER, [stores[1]])  # a manager, of another store
    _wrong(
        pos,
        path,
        {**body, "authorised_by": {"username": "east", "password": PASSWORD}},
        ("authoriser_not_allowed"),
    )
    assert balances(funded) == start
    assert not Refund.objects.exists()

    authorised = {**body, "authorised_by": {"username": "manager", "password": PASSWORD}}
    done = pos.post(path, authorised, **{"Idempotency-Key": "refund-1"})
    assert done.status_code == 201, done.content
    assert (done.json()["principal_fen"], done.json()["bonus_clawback_fen"]) == (5000, 500)
    replay = pos.post(path, authorised, **{"Idempotency-Key": "refund-1"})
    assert replay.json() == done.json()
    assert Refund.objects.count() == 1
    assert balances(funded) == {
        "principal": start["principal"] - 5000,
        "bonus": start["bonus"] - 500,
        "points": start["points"],
    }
    event = AuditEvent.objects.get(action="wallet.refunded")
    assert (event.actor_label, event.after["authorised_by"]) == ("terminal:POS-01", "manager")


def test_a_cashier_reverses_a_sale_with_the_managers_password(staff, stores, funded, owner):
    cashier = new_client()
    cashier.force_login(staff[Role.CASHIER])
    client = ApiClient(cashier)
    sale = sale_quick(
        actor=staff[Role.CASHIER].as_actor(),
        data=QuickSaleInput(amount_fen=3000, card_id=funded.pk, balance_fen=3000),
        idempotency_key=money.key(),
    )
    after_sale = balances(funded)
    path = f"/sales/{sale.pk}/reverse"
    body = {"reason": "顾客取消"}
    _wrong(client, path, body, "permission_denied")
    _wrong(
        client,
        path,
        {**body, "authorised_by": {"username": "manager", "password": "x"}},
        ("authorisation_failed"),
    )
    _wrong(
        client,
        path,
        {**body, "authorised_by": {"username": "cashier", "password": PASSWORD}},
        ("authoriser_not_allowed"),
    )
    assert balances(funded) == after_sale
    assert Sale.objects.get(pk=sale.pk).status == "completed"

    authorised = {**body, "authorised_by": {"username": "manager", "password": PASSWORD}}
    done = client.post(path, authorised, **{"Idempotency-Key": "rev-1"})
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "reversed"
    assert client.post(path, authorised, **{"Idempotency-Key": "rev-1"}).json() == done.json()
    event = AuditEvent.objects.get(action="sale.reversed")
    assert (event.actor.username, event.after["authorised_by"]) == ("cashier", "manager")
    assert balances(funded)["principal"] == after_sale["principal"] + 3000


def test_the_authorisation_is_strict_input(pos, funded):
    path = f"/cards/{funded.pk}/refund"
    body = {"amount_fen": 5000, "method": "cash", "reason": "x"}
    for bad in ({"username": "manager"}, {"username": "", "password": "p"}, "manager:p"):
        response = pos.post(path, {**body, "authorised_by": bad}, **{"Idempotency-Key": "k"})
        assert response.status_code == 422, response.content
    assert not Refund.objects.exists()
