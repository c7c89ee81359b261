"""Activating a pre-made card with its secret code: binding, once only, attempt limits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.cards import activation
from huiyuan.cards.activation import card_activate
from huiyuan.cards.models import BatchCard, Card, CardBatch, CodeAttemptThrottle
from huiyuan.cards.services import add_months
from huiyuan.cards.tests.conftest import key
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.clock import local_today
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Role
from huiyuan.events.models import OutboxEvent
from huiyuan.ledger.models import Account, Operation
from huiyuan.ledger.tests.factories import member
from huiyuan.members.services import member_cancel
from huiyuan.wallet.models import WalletPolicy

pytestmark = pytest.mark.django_db


def state() -> dict[str, object]:
    """What an activation changes: refused ones must leave it as it was."""
    return {
        "cards": sorted(Card.objects.values_list("pk", "status", "member_id", "expires_at")),
        "entries": sorted(BatchCard.objects.values_list("pk", "status", "code_encrypted")),
        "operations": Operation.objects.count(),
        "audit": AuditEvent.objects.filter(action="card.activated").count(),
        "events": OutboxEvent.objects.filter(name="card.activated").count(),
    }


def first(codes: dict[str, str]) -> tuple[str, str]:
    return sorted(codes.items())[0]


def attempt(actor, number: str, code: str, **extra):
    return card_activate(actor=actor, card_number=number, code=code, idempotency_key=key(), **extra)


def refused(call, code: str) -> DomainError:
    before = state()
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code, caught.value.as_dict()
    assert state() == before
    return caught.value


def test_activation_binds_the_member_and_makes_the_card_usable(
    make_batch, codes_of, cashier, named_type, stores
):
    batch = make_batch(count=2, face=20_000, sold=True, card_type_id=named_type.pk)
    number, code = first(codes_of(batch))
    holder = member(cashier)
    the_key = key()
    entry = card_activate(
        actor=cashier,
        card_number=number,
        code=code.lower().replace("-", " "),  # as typed: lower case, spaces
        member_id=holder.pk,
        idempotency_key=the_key,
    )
    card = Card.objects.get(number=number)
    assert card.status == Card.Status.ACTIVE and card.member_id == holder.pk
    assert entry.status == BatchCard.Status.ACTIVATED
    assert entry.activated_store_id == stores[0].pk and entry.code_encrypted == ""
    # Valid 24 months (the card type's) from activation, through that local day.
    assert card.expires_at == add_months(entry.activated_at, 24)
    # No money moved: the face value was on the card since the sale.
    assert Account.objects.get(card_id=card.pk, kind=Account.Kind.PRINCIPAL).balance == 20_000
    assert not Operation.objects.filter(kind__startswith="card_activ").exists()
    audit = AuditEvent.objects.get(action="card.activated")
    assert audit.member_id == holder.pk and audit.after["principal_fen"] == 20_000
    assert code.replace("-", "") not in str(audit.after)
    event = OutboxEvent.objects.get(name="card.activated")
    assert event.payload == {
        "card_id": card.pk,
        "card_type_id": named_type.pk,
        "batch_id": batch.pk,
        "principal_fen": 20_000,
    }
    # Now it pays at the counter.
    sale = sale_quick(
        actor=cashier,
        data=QuickSaleInput(card_id=card.pk, amount_fen=5_000, balance_fen=5_000),
        idempotency_key=key(),
    )
    assert sale.paid_principal_fen == 5_000
    # A replay returns the same activation; the code cannot be used again.
    before = state()
    again = card_activate(
        actor=cashier,
        card_number=number,
        code=code,
        member_id=holder.pk,
        idempotency_key=the_key,
    )
    assert again.pk == entry.pk and state() == before
    refused(lambda: attempt(cashier, number, code, member_id=holder.pk), "code_already_used")


def test_a_bearer_card_may_stay_anonymous(make_batch, codes_of, cashier):
    batch = make_batch(count=1, face=100_000, sold=True)  # exactly the anonymous limit
    number, code = first(codes_of(batch))
    attempt(cashier, number, code)
    card = Card.objects.get(number=number)
    assert card.status == Card.Status.ACTIVE and card.member_id is None
    assert card.expires_at is None  # the type has no validity, nor the batch


def test_batch_validity_overrides_the_type(make_batch, codes_of, cashier, named_type):
    batch = make_batch(count=1, sold=True, card_type_id=named_type.pk, validity_months=6)
    number, code = first(codes_of(batch))
    entry = attempt(cashier, number, code, member_id=member(cashier).pk)
    assert Card.objects.get(number=number).expires_at == add_months(entry.activated_at, 6)


def test_activation_refusals_change_nothing(make_batch, codes_of, cashier, owner, named_type):
    unsold = make_batch(count=1)
    number, code = first(codes_of(unsold))
    refused(lambda: attempt(cashier, number, code), "batch_not_sold")

    named = make_batch(count=1, sold=True, card_type_id=named_type.pk)
    number, code = first(codes_of(named))
    refused(lambda: attempt(cashier, number, code), "member_required")
    refused(lambda: attempt(cashier, number, code, member_id=999_999), "member_not_found")
    gone = member(cashier, name="李四")
    member_cancel(actor=owner, member_id=gone.pk, reason="test")
    refused(lambda: attempt(cashier, number, code, member_id=gone.pk), "member_not_active")
    # The limits were lowered below the card's value since the sale.
    WalletPolicy.objects.filter(pk=WalletPolicy.current().pk).update(named_limit_fen=5_000)
    refused(
        lambda: attempt(cashier, number, code, member_id=member(cashier).pk),
        "prepaid_limit_exceeded",
    )


def test_no_activation_after_the_last_day(make_batch, codes_of, cashier, monkeypatch):
    deadline = local_today() + dt.timedelta(days=1)
    batch = make_batch(count=1, sold=True, activate_by=deadline)
    number, code = first(codes_of(batch))
    later = timezone.now() + dt.timedelta(days=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    refused(lambda: attempt(cashier, number, code), "activation_expired")


def test_only_staff_with_the_permission_activate(make_batch, codes_of, actors):
    batch = make_batch(count=1, sold=True)
    number, code = first(codes_of(batch))
    for role in (Role.CALL_CENTER, Role.MARKETER):
        refused(lambda role=role: attempt(actors[role], number, code), "permission_denied")
    assert attempt(actors[Role.STORE_MANAGER], number, code).status == "activated"


def test_another_store_activates_as_the_spend_policy_allows(
    make_batch, codes_of, actors, stores, owner
):
    from huiyuan.stores.services import store_scope_policy_update

    batch = make_batch(count=2, sold=True, store_id=stores[1].pk)  # sold by the second store
    (n1, c1), (n2, c2) = sorted(codes_of(batch).items())
    cashier = actors[Role.CASHIER]  # works at the first store
    assert attempt(cashier, n1, c1).status == "activated"  # 通存通兑: spend is chain-wide
    store_scope_policy_update(actor=owner, rules={"spend": "home"})
    refused(lambda: attempt(cashier, n2, c2), "out_of_store_scope")


# ---------------------------------------------------------------------- attempt limits


def test_five_wrong_codes_lock_the_card_number_for_fifteen_minutes(
    make_batch, codes_of, cashier, actors, monkeypatch
):
    batch = make_batch(count=1, sold=True)
    number, code = first(codes_of(batch))
    wrong = "2222-2222-2222-2222"
    left = []
    for _ in range(4):
        error = refused(lambda: attempt(cashier, number, wrong), "invalid_card_or_code")
        left.append(error.details["attempts_left"])
    assert left == [4, 3, 2, 1]
    error = refused(lambda: attempt(cashier, number, wrong), "activation_locked")
    assert error.status == 429
    assert 15 * 60 - 1 <= error.details["retry_after_seconds"] <= 15 * 60
    assert "15" in str(error.message)
    # Locked for everyone, the right code included.
    refused(lambda: attempt(actors[Role.STORE_MANAGER], number, code), "activation_locked")
    # 15 minutes later the right code works.
    later = timezone.now() + dt.timedelta(minutes=15, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert attempt(cashier, number, code).status == "activated"


def test_ten_wrong_codes_lock_the_staff_member(make_batch, codes_of, cashier, actors):
    batch = make_batch(count=12, sold=True)
    cards = sorted(codes_of(batch).items())
    for number, _code in cards[:9]:
        refused(lambda n=number: attempt(cashier, n, "2222222222222222"), "invalid_card_or_code")
    refused(lambda: attempt(cashier, cards[9][0], "2222222222222222"), "activation_locked")
    # The cashier is locked on every card; another staff member is not.
    number, code = cards[10]
    refused(lambda: attempt(cashier, number, code), "activation_locked")
    assert attempt(actors[Role.STORE_MANAGER], number, code).status == "activated"


def test_ten_wrong_codes_from_one_address_lock_it(make_batch, codes_of, actors):
    batch = make_batch(count=12, sold=True)
    cards = sorted(codes_of(batch).items())
    people = [actors[Role.CASHIER], actors[Role.STORE_MANAGER], actors[Role.OWNER]]
    for i, (number, _code) in enumerate(cards[:10]):
        actor = people[i % 3]
        refused(
            lambda a=actor, n=number: attempt(a, n, "2222222222222222", client_address="10.0.0.7"),
            "invalid_card_or_code" if i < 9 else "activation_locked",
        )
    number, code = cards[11]
    refused(
        lambda: attempt(actors[Role.HQ_ADMIN], number, code, client_address="10.0.0.7"),
        "activation_locked",
    )
    assert attempt(actors[Role.HQ_ADMIN], number, code, client_address="10.0.0.8")
    # Counters are keyed hashes: no address or card number in clear.
    keys = " ".join(CodeAttemptThrottle.objects.values_list("key", flat=True))
    assert "10.0.0.7" not in keys and cards[0][0] not in keys


def test_unknown_numbers_count_as_failures(cashier, make_batch):
    make_batch(count=1)
    for i in range(4):
        error = refused(
            lambda i=i: attempt(cashier, f"999999999999999{i}", "2222222222222222"),
            "invalid_card_or_code",
        )
    # Each number has its own counter (4 left); the cashier's counts them all (10 - 4).
    assert error.details["attempts_left"] == 4
    assert CodeAttemptThrottle.objects.filter(scope="actor").get().failures == 4


def test_failures_older_than_the_window_start_again(make_batch, codes_of, cashier, monkeypatch):
    batch = make_batch(count=1, sold=True)
    number, _code = first(codes_of(batch))
    for _ in range(4):
        refused(lambda: attempt(cashier, number, "2222222222222222"), "invalid_card_or_code")
    later = timezone.now() + activation.WINDOW + dt.timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    error = refused(lambda: attempt(cashier, number, "2222222222222222"), "invalid_card_or_code")
    assert error.details["attempts_left"] == 4


def test_a_voided_card_cannot_be_activated(make_batch, codes_of, cashier, owner):
    from huiyuan.cards.batch_void import card_batch_void

    batch = make_batch(count=1, sold=True)
    number, code = first(codes_of(batch))
    card_batch_void(
        actor=owner,
        batch_id=batch.pk,
        reason="公司退订",
        method="enterprise",
        idempotency_key=key(),
    )
    # The code was erased with the void: the hash still says it was right, the card says no.
    refused(lambda: attempt(cashier, number, code), "card_voided")
    assert CardBatch.objects.get(pk=batch.pk).status == CardBatch.Status.SOLD
