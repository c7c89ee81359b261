"""Voiding unactivated cards (refund to the buyer) and the batch report, reconciled to the fen."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from huiyuan.audit.models import AuditEvent
from huiyuan.cards import batches
from huiyuan.cards.activation import card_activate
from huiyuan.cards.batch_void import card_batch_void
from huiyuan.cards.batches import card_batch_sell
from huiyuan.cards.models import BatchCard, Card, CardBatchVoid
from huiyuan.cards.selectors import card_batch_report, card_batches
from huiyuan.cards.tests.conftest import key
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Role
from huiyuan.events.models import OutboxEvent
from huiyuan.ledger.models import Account, Entry, Operation, Transfer
from huiyuan.ledger.tests.factories import member
from huiyuan.ledger.verify import verify_ledger
from huiyuan.wallet.services import wallet_recharge

pytestmark = pytest.mark.django_db


def principal(card_id: int) -> int:
    return Account.objects.get(card_id=card_id, kind=Account.Kind.PRINCIPAL).balance


def activate(actor, number: str, code: str, **extra) -> BatchCard:
    return card_activate(actor=actor, card_number=number, code=code, idempotency_key=key(), **extra)


def void(actor, batch, **extra) -> CardBatchVoid:
    return card_batch_void(
        actor=actor,
        batch_id=batch.pk,
        reason=extra.pop("reason", "公司退回未发放的卡"),
        method=extra.pop("method", "enterprise"),
        idempotency_key=extra.pop("idempotency_key", key()),
        **extra,
    )


def cards_sum(batch, status: str) -> int:
    """The ledger balances of the batch's cards in ``status``, summed (the independent side)."""
    ids = BatchCard.objects.filter(batch=batch, status=status).values("card_id")
    total = Account.objects.filter(card_id__in=ids, kind=Account.Kind.PRINCIPAL).aggregate(
        s=Sum("balance")
    )["s"]
    return int(total or 0)


def test_the_report_reconciles_through_sale_activation_spending_and_void(
    monkeypatch, make_batch, codes_of, owner, cashier, stores
):
    monkeypatch.setattr(batches, "CHUNK_CARDS", 2)
    batch = make_batch(count=5, face=10_000)
    report = card_batch_report(actor=owner, batch_id=batch.pk)
    assert report.row.state == "generated"
    assert (report.received_fen, report.held_fen, report.difference_fen) == (0, 0, 0)
    codes = sorted(codes_of(batch).items())

    card_batch_sell(actor=owner, batch_id=batch.pk, method="enterprise", idempotency_key=key())
    report = card_batch_report(actor=owner, batch_id=batch.pk)
    assert report.row.state == "sold"
    assert report.received_fen == 50_000 == report.held_fen == cards_sum(batch, "pending")

    # Two cards activated; one pays ¥30 at the counter, the other is recharged ¥5.
    holder = member(cashier)
    first = activate(cashier, *codes[0], member_id=holder.pk)
    second = activate(cashier, *codes[1])
    sale_quick(
        actor=cashier,
        data=QuickSaleInput(card_id=first.card_id, amount_fen=3_000, balance_fen=3_000),
        idempotency_key=key(),
    )
    wallet_recharge(
        actor=cashier, card_id=second.card_id, amount_fen=500, method="cash", idempotency_key=key()
    )
    report = card_batch_report(actor=owner, batch_id=batch.pk)
    assert report.row.state == "partially_activated"
    assert report.counts.activated == 2 and report.counts.pending == 3
    assert report.used == 1
    assert report.activated_fen == 20_000
    assert report.held_fen == 30_000 == cards_sum(batch, "pending")
    assert report.balance_on_activated_fen == 7_000 + 10_500 == cards_sum(batch, "activated")
    assert report.spent_fen == 3_000
    assert report.received_fen == 50_000 and report.difference_fen == 0

    # The three cards never handed out are voided: ¥300 back to the buyer at the store.
    done = void(owner, batch)
    assert done.status == CardBatchVoid.Status.DONE
    assert (done.cards_voided, done.refunded_fen) == (3, 30_000)
    report = card_batch_report(actor=owner, batch_id=batch.pk)
    assert report.row.state == "closed"
    assert (report.counts.voided, report.counts.pending) == (3, 0)
    assert report.refunded_fen == 30_000 and report.held_fen == 0 == cards_sum(batch, "voided")
    assert report.received_fen == report.activated_fen + report.held_fen + report.refunded_fen
    assert report.reconciled
    refunds = Account.objects.get(kind=Account.Kind.STORE_REFUNDS, store_id=stores[0].pk)
    assert Entry.objects.filter(account=refunds).aggregate(s=Sum("delta"))["s"] == 30_000
    assert Operation.objects.filter(kind="card_batch_void").count() == 2  # chunks of two
    assert verify_ledger().ok


def test_void_cancels_the_cards_erases_the_codes_and_is_idempotent(make_batch, codes_of, owner):
    batch = make_batch(count=3, face=2_000, sold=True)
    codes_of(batch)
    the_key = key()
    done = void(owner, batch, idempotency_key=the_key)
    for entry in BatchCard.objects.filter(batch=batch).select_related("card"):
        assert entry.status == BatchCard.Status.VOIDED and entry.void_id == done.pk
        assert entry.code_encrypted == ""
        assert entry.card.status == Card.Status.CANCELLED
        assert entry.card.status_reason == "公司退回未发放的卡"
        assert principal(entry.card_id) == 0
    audit = AuditEvent.objects.get(action="card_batch.voided")
    assert audit.after == {
        "void": done.pk,
        "cards": 3,
        "refunded_fen": 6_000,
        "method": "enterprise",
    }
    assert OutboxEvent.objects.get(name="card_batch.voided").payload == {
        "batch_id": batch.pk,
        "void_id": done.pk,
        "cards": 3,
        "refund_fen": 6_000,
        "method": "enterprise",
    }
    operations = Operation.objects.count()
    again = void(owner, batch, idempotency_key=the_key)
    assert again.pk == done.pk and Operation.objects.count() == operations
    with pytest.raises(DomainError) as caught:
        void(owner, batch)
    assert caught.value.code == "nothing_to_void"
    assert card_batch_report(actor=owner, batch_id=batch.pk).row.state == "voided"


def test_void_of_named_cards_only_and_activated_cards_are_never_refunded(
    make_batch, codes_of, owner, cashier
):
    batch = make_batch(count=4, face=1_000, sold=True)
    codes = sorted(codes_of(batch).items())
    activate(cashier, *codes[0])
    before = {
        "operations": Operation.objects.count(),
        "entries": list(BatchCard.objects.order_by("pk").values_list("status", flat=True)),
    }
    for numbers, code in [
        ([codes[0][0]], "card_not_pending"),
        (["6000000000000000"], "card_not_in_batch"),
        ([" "], "cards_required"),
    ]:
        with pytest.raises(DomainError) as caught:
            void(owner, batch, card_numbers=numbers)
        assert caught.value.code == code
    assert Operation.objects.count() == before["operations"]
    assert (
        list(BatchCard.objects.order_by("pk").values_list("status", flat=True)) == before["entries"]
    )
    done = void(owner, batch, card_numbers=[codes[1][0], codes[2][0]])
    assert (done.cards_voided, done.refunded_fen) == (2, 2_000)
    statuses = dict(BatchCard.objects.values_list("card__number", "status"))
    assert statuses == {
        codes[0][0]: "activated",
        codes[1][0]: "voided",
        codes[2][0]: "voided",
        codes[3][0]: "pending",
    }
    assert principal(Card.objects.get(number=codes[0][0]).pk) == 1_000
    report = card_batch_report(actor=owner, batch_id=batch.pk)
    assert (report.activated_fen, report.held_fen, report.refunded_fen) == (1_000, 1_000, 2_000)
    assert report.reconciled


def test_voiding_an_unsold_batch_moves_no_money_and_the_rest_can_be_sold(
    make_batch, codes_of, owner
):
    batch = make_batch(count=3, face=1_000)
    numbers = sorted(codes_of(batch))
    done = void(owner, batch, card_numbers=numbers[:1])
    assert (done.cards_voided, done.refunded_fen) == (1, 0)
    assert not Operation.objects.filter(kind="card_batch_void").exists()
    sold = card_batch_sell(actor=owner, batch_id=batch.pk, method="cash", idempotency_key=key())
    assert Transfer.objects.filter(kind="card_batch_sale").count() == 2
    report = card_batch_report(actor=owner, batch_id=sold.pk)
    assert (report.received_fen, report.held_fen, report.counts.sold) == (2_000, 2_000, 2)
    assert report.reconciled


def test_void_refusals(make_batch, owner, actors):
    batch = make_batch(count=1, sold=True)
    operations = Operation.objects.count()
    for actor, kwargs, code in [
        (actors[Role.STORE_MANAGER], {}, "permission_denied"),
        (owner, {"reason": " "}, "reason_required"),
        (owner, {"method": "gold"}, "invalid_method"),
    ]:
        with pytest.raises(DomainError) as caught:
            void(actor, batch, **kwargs)
        assert caught.value.code == code
    assert Operation.objects.count() == operations
    assert BatchCard.objects.get().status == BatchCard.Status.PENDING


def test_reports_and_lists_follow_the_store_scope(make_batch, actors, stores):
    mine = make_batch(count=1)
    theirs = make_batch(count=1, store_id=stores[1].pk)
    manager = actors[Role.STORE_MANAGER]
    assert list(card_batches(actor=manager)) == [mine]
    assert card_batch_report(actor=manager, batch_id=theirs.pk) is None
    report = card_batch_report(actor=manager, batch_id=mine.pk)
    assert report is not None and report.buyer_contact == "李经理****"  # masked for managers
    owner_report = card_batch_report(actor=actors[Role.OWNER], batch_id=mine.pk)
    assert owner_report.buyer_contact == "李经理 13912345678"
    assert set(card_batches(actor=actors[Role.OWNER])) == {mine, theirs}
    with pytest.raises(DomainError) as caught:
        card_batches(actor=actors[Role.CASHIER])
    assert caught.value.code == "permission_denied"
