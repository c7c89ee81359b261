"""The payment PIN: set by the member, asked at the counter, locked after failures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.checkout.models import Sale
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.errors import PermissionDenied, ValidationFailed
from huiyuan.events.models import OutboxEvent
from huiyuan.ledger.tests.factories import balances, key
from huiyuan.payments.models import PaymentPin, PinPolicy
from huiyuan.payments.services.pin import (
    PinLocked,
    PinWrong,
    pin_policy_update,
    pin_set,
)

PIN = "135790"


def _pay(cashier, card, *, balance=1_000, pin=""):
    return sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=balance, card_id=card.pk, balance_fen=balance, pin=pin),
        idempotency_key=key(),
    )


@pytest.mark.django_db
def test_set_and_change_the_pin(me, member_card):
    pin_set(actor=me, new_pin=PIN)
    record = PaymentPin.objects.get(member_id=me.member_id)
    assert record.pin_hash != PIN and PIN not in record.pin_hash
    with pytest.raises(PinWrong):
        pin_set(actor=me, new_pin="246801", current_pin="000001")
    assert PaymentPin.objects.get(member_id=me.member_id).failures == 1
    pin_set(actor=me, new_pin="246801", current_pin=PIN)
    assert PaymentPin.objects.get(member_id=me.member_id).failures == 0
    actions = list(
        AuditEvent.objects.filter(action__startswith="payment_pin.")
        .order_by("pk")
        .values_list("action", "actor_label")
    )
    label = f"member:{me.member_id}"
    assert actions == [
        ("payment_pin.set", label),
        ("payment_pin.failed", label),
        ("payment_pin.changed", label),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pin", "code"),
    [
        ("12345", "pin_invalid"),
        ("12345a", "pin_invalid"),
        ("111111", "pin_too_simple"),
        ("123456", "pin_too_simple"),
        ("１３５７９０", "pin_invalid"),
    ],
)
def test_a_pin_is_six_digits_not_a_series(me, member_card, pin, code):
    with pytest.raises(ValidationFailed) as bad:
        pin_set(actor=me, new_pin=pin)
    assert bad.value.code == code
    assert not PaymentPin.objects.exists()


@pytest.mark.django_db
def test_counter_needs_the_pin_and_a_refusal_changes_nothing(cashier, me, topped_up):
    pin_set(actor=me, new_pin=PIN)
    before = balances(topped_up)
    with pytest.raises(ValidationFailed) as missing:
        _pay(cashier, topped_up)
    assert missing.value.code == "pin_required"
    with pytest.raises(PinWrong) as wrong:
        _pay(cashier, topped_up, pin="000000")
    assert wrong.value.details == {"tries_left": 4}
    assert balances(topped_up) == before
    assert Sale.objects.count() == 0
    # the wrong PIN was counted after the sale rolled back
    assert PaymentPin.objects.get(member_id=me.member_id).failures == 1
    sale = _pay(cashier, topped_up, pin=PIN)
    assert sale.paid_principal_fen == 1_000
    assert balances(topped_up)["principal"] == before["principal"] - 1_000
    assert PaymentPin.objects.get(member_id=me.member_id).failures == 0


@pytest.mark.django_db
def test_below_the_threshold_or_without_a_pin_no_pin_is_asked(owner, cashier, me, topped_up):
    _pay(cashier, topped_up)  # no PIN set yet
    pin_set(actor=me, new_pin=PIN)
    pin_policy_update(actor=owner, threshold_fen=20_000, max_failures=3, lockout_minutes=10)
    _pay(cashier, topped_up, balance=19_999)
    with pytest.raises(ValidationFailed):
        _pay(cashier, topped_up, balance=20_000)
    assert balances(topped_up)["principal"] == 50_000 - 1_000 - 19_999


@pytest.mark.django_db
def test_lockout_after_repeated_failures(owner, cashier, me, topped_up):
    pin_set(actor=me, new_pin=PIN)
    pin_policy_update(actor=owner, threshold_fen=0, max_failures=3, lockout_minutes=15)
    for _ in range(3):
        with pytest.raises(PinWrong):
            _pay(cashier, topped_up, pin="000000")
    record = PaymentPin.objects.get(member_id=me.member_id)
    assert record.locked_until is not None
    assert record.locked_until - timezone.now() > dt.timedelta(minutes=14)
    # locked: even the right PIN is refused, and nothing moves
    with pytest.raises(PinLocked) as locked:
        _pay(cashier, topped_up, pin=PIN)
    assert locked.value.code == "pin_locked"
    assert balances(topped_up)["principal"] == 50_000
    assert AuditEvent.objects.filter(action="payment_pin.failed").count() == 2
    assert AuditEvent.objects.filter(action="payment_pin.locked").count() == 1
    assert OutboxEvent.objects.filter(name="payment_pin.locked").count() == 1
    # after the lockout the right PIN works again
    PaymentPin.objects.filter(pk=record.pk).update(
        locked_until=timezone.now() - dt.timedelta(seconds=1)
    )
    _pay(cashier, topped_up, pin=PIN)
    assert balances(topped_up)["principal"] == 49_000


@pytest.mark.django_db
def test_the_pin_policy_is_head_office_only(cashier, owner):
    with pytest.raises(PermissionDenied):
        pin_policy_update(actor=cashier, threshold_fen=0, max_failures=5, lockout_minutes=30)
    with pytest.raises(ValidationFailed):
        pin_policy_update(actor=owner, threshold_fen=-1, max_failures=5, lockout_minutes=30)
    pin_policy_update(actor=owner, threshold_fen=10_000, max_failures=5, lockout_minutes=30)
    assert PinPolicy.current().threshold_fen == 10_000
