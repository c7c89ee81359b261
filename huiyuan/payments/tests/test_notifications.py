"""Online recharge through the sandbox: a notification is verified, checked, booked once."""

from __future__ import annotations

import json
import time

import pytest

from huiyuan.audit.models import AuditEvent
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.payments.models import OnlineOrder, PaymentNotification, SandboxCharge
from huiyuan.payments.providers.sandbox import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from huiyuan.payments.services import sandbox
from huiyuan.payments.services.orders import online_order_create
from huiyuan.selfservice.actor import MemberActor
from huiyuan.wallet.models import Recharge

Outcome = PaymentNotification.Outcome


def _order(me, card_id, amount=10_000, package_id=None, base="http://testserver"):
    return online_order_create(
        actor=me,
        card_id=card_id,
        amount_fen=amount,
        provider="sandbox",
        notify_base_url=base,
        package_id=package_id,
    )


def _post(client, body: dict, *, key: str = "sandbox-test-key", ts: str | None = None):
    raw = json.dumps(body).encode()
    ts = ts or str(int(time.time()))
    return client.post(
        "/pay/notify/sandbox/",
        data=raw,
        content_type="application/json",
        headers={TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(ts, raw, key.encode())},
    )


def _paid(order: OnlineOrder, amount: int | None = None, trade_no: str | None = None) -> dict:
    charge = SandboxCharge.objects.get(order_number=order.number)
    return {
        "order_number": order.number,
        "trade_no": trade_no or charge.trade_no,
        "amount_fen": order.amount_fen if amount is None else amount,
        "status": "SUCCESS",
    }


@pytest.mark.django_db(transaction=True)
def test_sandbox_end_to_end_over_http_notified_twice_rises_once(live_server, member_card, me):
    # Given an order for ¥100 registered with the sandbox, notifying our live server
    order = _order(me, member_card.pk, base=live_server.url)
    assert order.pay_url == f"/pay/sandbox/{order.number}/"
    assert order.notify_url == f"{live_server.url}/pay/notify/sandbox/"
    # When the payer pays: the sandbox POSTs its signed notification over HTTP
    sandbox.sandbox_charge_pay(order.number)
    order.refresh_from_db()
    assert order.status == OnlineOrder.Status.PAID
    assert balances(member_card)["principal"] == 10_000
    charge = SandboxCharge.objects.get(order_number=order.number)
    assert (charge.deliveries, charge.acknowledged) == (1, True)
    assert order.provider_trade_no == charge.trade_no
    recharge = Recharge.objects.get(card=member_card)
    assert (recharge.method, recharge.principal_fen, order.recharge_id) == (
        "online",
        10_000,
        recharge.pk,
    )
    # And when it notifies again (and the payer presses 支付 again), nothing more happens
    sandbox.sandbox_notify_again(order.number)
    sandbox.sandbox_charge_pay(order.number)
    assert balances(member_card)["principal"] == 10_000
    assert Recharge.objects.filter(card=member_card).count() == 1
    outcomes = list(PaymentNotification.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == [Outcome.ACCEPTED, Outcome.REPEATED, Outcome.REPEATED]


@pytest.mark.django_db
def test_package_bonus_applies_as_at_the_counter(client, member_card, me, package_500):
    order = _order(me, member_card.pk, amount=50_000, package_id=package_500.pk)
    assert order.bonus_fen == 5_000
    response = _post(client, _paid(order))
    assert response.status_code == 200
    assert response.json() == {"code": "SUCCESS"}
    assert balances(member_card)["principal"] == 50_000
    assert balances(member_card)["bonus"] == 5_000
    order.refresh_from_db()
    assert (order.status, order.recharge.package_id) == ("paid", package_500.pk)


@pytest.mark.django_db
def test_wrong_signature_is_refused_and_changes_nothing(client, member_card, me):
    order = _order(me, member_card.pk)
    response = _post(client, _paid(order), key="someone-else")
    assert response.status_code == 400
    order.refresh_from_db()
    assert (order.status, order.provider_trade_no) == ("pending", "")
    assert balances(member_card)["principal"] == 0
    assert list(PaymentNotification.objects.values_list("outcome", flat=True)) == [
        Outcome.BAD_SIGNATURE
    ]
    # An old signature (replayed long after) is refused the same way
    assert _post(client, _paid(order), ts=str(int(time.time()) - 3600)).status_code == 400
    assert balances(member_card)["principal"] == 0


@pytest.mark.django_db
def test_amount_mismatch_is_refused_and_changes_nothing(client, member_card, me):
    order = _order(me, member_card.pk, amount=10_000)
    response = _post(client, _paid(order, amount=1))
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == "pending"
    assert balances(member_card)["principal"] == 0
    note = PaymentNotification.objects.get()
    assert (note.outcome, note.amount_fen, note.order_id) == (Outcome.AMOUNT_MISMATCH, 1, order.pk)
    # The right notification afterwards books it
    assert _post(client, _paid(order)).status_code == 200
    assert balances(member_card)["principal"] == 10_000


@pytest.mark.django_db
def test_another_payment_of_a_paid_order_books_nothing(client, member_card, me):
    order = _order(me, member_card.pk)
    assert _post(client, _paid(order)).status_code == 200
    response = _post(client, _paid(order, trade_no="SBXOTHER"))
    assert response.status_code == 200  # acknowledged: it is recorded for the merchant
    assert balances(member_card)["principal"] == 10_000
    assert PaymentNotification.objects.filter(outcome=Outcome.OTHER_PAYMENT).count() == 1


@pytest.mark.django_db
def test_unknown_order_and_disabled_provider(client, settings, member_card, me):
    response = _post(
        client, {"order_number": "HY0", "trade_no": "X", "amount_fen": 1, "status": "SUCCESS"}
    )
    assert response.status_code == 400
    settings.PAYMENTS_PROVIDERS = []
    assert (
        client.post("/pay/notify/sandbox/", data=b"{}", content_type="application/json").status_code
        == 404
    )


@pytest.mark.django_db
def test_prepaid_limit_refuses_the_order_at_creation(member_card, me):
    with pytest.raises(Conflict) as refused:
        _order(me, member_card.pk, amount=500_001)
    assert refused.value.code == "prepaid_limit_exceeded"
    assert OnlineOrder.objects.count() == 0


@pytest.mark.django_db
def test_recharge_refused_when_paid_is_recorded_not_booked(client, member_card, me, owner):
    from huiyuan.wallet.services import wallet_policy_update

    order = _order(me, member_card.pk, amount=10_000)
    wallet_policy_update(actor=owner, named_limit_fen=5_000)  # the limit fell meanwhile
    response = _post(client, _paid(order))
    assert response.status_code == 200
    order.refresh_from_db()
    assert (order.status, order.failure_code) == ("failed", "prepaid_limit_exceeded")
    assert balances(member_card)["principal"] == 0


@pytest.mark.django_db
def test_a_member_orders_only_for_their_own_card(cashier, owner, me):
    other = card(cashier, owner)
    with pytest.raises(NotFound):
        _order(me, other.pk)
    with pytest.raises(ValidationFailed) as bad:
        _order(MemberActor(member_id=other.member_id), other.pk, amount=0)
    assert bad.value.code == "invalid_amount"
    assert OnlineOrder.objects.count() == 0


@pytest.mark.django_db
def test_package_amount_must_match(member_card, me, package_500):
    with pytest.raises(ValidationFailed) as refused:
        _order(me, member_card.pk, amount=40_000, package_id=package_500.pk)
    assert refused.value.code == "package_amount_mismatch"


@pytest.mark.django_db
def test_staff_order_is_idempotent_and_audited(cashier, member_card):
    k = key()
    first = online_order_create(
        actor=cashier,
        card_id=member_card.pk,
        amount_fen=2_000,
        provider="sandbox",
        notify_base_url="http://x",
        idempotency_key=k,
    )
    again = online_order_create(
        actor=cashier,
        card_id=member_card.pk,
        amount_fen=2_000,
        provider="sandbox",
        notify_base_url="http://x",
        idempotency_key=k,
    )
    assert first.pk == again.pk and again.pay_url
    assert (first.channel, first.created_by) == ("api", "cashier")
    assert AuditEvent.objects.filter(action="online_order.created").count() == 1
