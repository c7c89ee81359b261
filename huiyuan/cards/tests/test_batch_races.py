"""Real threads on PostgreSQL: activations of one code, wrong codes at once, void against
activation. Whatever the interleaving: one activation per code, an exact attempt count, each
card either activated or refunded — never both — and the ledger and the report exact."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import close_old_connections, connection

from huiyuan.audit.models import AuditEvent
from huiyuan.cards.activation import card_activate
from huiyuan.cards.batch_void import card_batch_void
from huiyuan.cards.models import BatchCard, Card, CodeAttemptThrottle
from huiyuan.cards.selectors import card_batch_report
from huiyuan.cards.tests.conftest import key
from huiyuan.core.errors import DomainError
from huiyuan.events.models import OutboxEvent
from huiyuan.ledger.models import Account
from huiyuan.ledger.tests.factories import member
from huiyuan.ledger.verify import verify_ledger

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# 100 activations of one code from 50 threads (two each, back to back): PostgreSQL's
# max_connections is 100 and is shared with other test runs, so 50 connections at once.
THREADS = 50
ATTEMPTS_EACH = 2


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are tested on PostgreSQL (SQLite serialises writers)")


def race(*sides: Callable[[], list[object]]) -> list[object]:
    """Start every side at the same moment; each returns a list of results or domain codes."""
    barrier = threading.Barrier(len(sides))
    results: list[object] = []
    lock = threading.Lock()

    def worker(side: Callable[[], list[object]]) -> None:
        try:
            barrier.wait()
            outcome = side()
        except Exception as exc:  # noqa: BLE001 - asserted below: nothing may escape
            outcome = [f"crash: {exc!r}"]
        finally:
            close_old_connections()
            connection.close()
        with lock:
            results.extend(outcome)

    threads = [threading.Thread(target=worker, args=(s,)) for s in sides]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    return results


def attempts(*calls: Callable[[], object]) -> Callable[[], list[object]]:
    def run() -> list[object]:
        out: list[object] = []
        for call in calls:
            try:
                out.append(call())
            except DomainError as exc:
                out.append(exc.code)
        return out

    return run


def test_one_hundred_activations_of_one_code_activate_it_once(make_batch, codes_of, cashier, owner):
    batch = make_batch(count=1, face=50_000, sold=True)
    ((number, code),) = codes_of(batch).items()
    members = [member(cashier, name=f"会员{i}") for i in range(THREADS)]

    def activate_for(holder_id: int) -> Callable[[], object]:
        def activate() -> object:
            entry = card_activate(
                actor=cashier,
                card_number=number,
                code=code,
                member_id=holder_id,
                idempotency_key=key(),
            )
            return ("activated", holder_id, entry.pk)

        return activate

    results = race(*(attempts(*[activate_for(m.pk)] * ATTEMPTS_EACH) for m in members))
    assert len(results) == THREADS * ATTEMPTS_EACH == 100
    assert not [r for r in results if isinstance(r, str) and r.startswith("crash")], results
    won = [r for r in results if isinstance(r, tuple)]
    assert len(won) == 1, Counter(map(str, results))
    assert Counter(r for r in results if isinstance(r, str)) == {"code_already_used": 99}
    _, winner, entry_id = won[0]
    card = Card.objects.get(number=number)
    assert card.status == Card.Status.ACTIVE and card.member_id == winner
    entry = BatchCard.objects.get(pk=entry_id)
    assert entry.status == BatchCard.Status.ACTIVATED and entry.code_encrypted == ""
    assert AuditEvent.objects.filter(action="card.activated").count() == 1
    assert OutboxEvent.objects.filter(name="card.activated").count() == 1
    assert Account.objects.get(card_id=card.pk, kind=Account.Kind.PRINCIPAL).balance == 50_000
    assert not CodeAttemptThrottle.objects.exists()  # right codes count nothing
    assert verify_ledger().ok


def test_wrong_codes_at_once_are_counted_exactly(make_batch, codes_of, actors):
    from huiyuan.core.permissions import Role

    batch = make_batch(count=1, sold=True)
    ((number, code),) = codes_of(batch).items()
    people = [actors[Role.CASHIER], actors[Role.STORE_MANAGER], actors[Role.OWNER]]
    sides = [
        attempts(
            lambda who=people[i % 3]: card_activate(
                actor=who, card_number=number, code="2222222222222222", idempotency_key=key()
            )
        )
        for i in range(20)
    ]
    results = race(*sides)
    assert not [r for r in results if str(r).startswith("crash")], results
    # The first four are told how many attempts are left; the fifth locks; the rest find it
    # locked. Never a sixth failure counted, whatever the interleaving.
    assert Counter(results) == {"invalid_card_or_code": 4, "activation_locked": 16}
    row = CodeAttemptThrottle.objects.get(scope="card")
    assert row.failures == 5 and row.locked_until is not None
    assert (
        sum(CodeAttemptThrottle.objects.filter(scope="actor").values_list("failures", flat=True))
        == 5
    )
    assert Card.objects.get(number=number).status == Card.Status.PENDING
    with pytest.raises(DomainError) as caught:
        card_activate(actor=people[0], card_number=number, code=code, idempotency_key=key())
    assert caught.value.code == "activation_locked"


def test_void_racing_activations_refunds_exactly_the_cards_not_activated(
    make_batch, codes_of, cashier, owner, monkeypatch
):
    from huiyuan.cards import batches

    monkeypatch.setattr(batches, "CHUNK_CARDS", 4)  # the void runs in several transactions
    batch = make_batch(count=16, face=3_000, sold=True)
    cards = sorted(codes_of(batch).items())
    activations = [
        attempts(
            lambda n=n, c=c: (
                card_activate(actor=cashier, card_number=n, code=c, idempotency_key=key()).status
            )
        )
        for n, c in cards
    ]
    void = attempts(
        lambda: (
            card_batch_void(
                actor=owner,
                batch_id=batch.pk,
                reason="公司退订",
                method="enterprise",
                idempotency_key=key(),
            ).cards_voided
        )
    )
    results = race(void, *activations)
    assert not [r for r in results if str(r).startswith("crash")], results
    statuses = Counter(BatchCard.objects.filter(batch=batch).values_list("status", flat=True))
    activated, voided = statuses["activated"], statuses["voided"]
    assert activated + voided == 16 and statuses["pending"] == 0
    assert Counter(r for r in results if r in ("activated", "card_voided")) == {
        **({"activated": activated} if activated else {}),
        **({"card_voided": voided} if voided else {}),
    }
    for entry in BatchCard.objects.filter(batch=batch).select_related("card"):
        balance = Account.objects.get(card_id=entry.card_id, kind=Account.Kind.PRINCIPAL).balance
        if entry.status == BatchCard.Status.ACTIVATED:
            assert (entry.card.status, balance) == (Card.Status.ACTIVE, 3_000)
        else:
            assert (entry.card.status, balance) == (Card.Status.CANCELLED, 0)
    report = card_batch_report(actor=owner, batch_id=batch.pk)
    assert report.received_fen == 48_000
    assert (report.activated_fen, report.refunded_fen) == (3_000 * activated, 3_000 * voided)
    assert report.held_fen == 0 and report.reconciled
    assert verify_ledger().ok
