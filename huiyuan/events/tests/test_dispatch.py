"""Dispatch after commit: each subscriber once, failures retried with backoff, a sweep."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.errors import Conflict, PermissionDenied
from huiyuan.events import dispatch, services
from huiyuan.events.dispatch import events_dispatch
from huiyuan.events.models import EventDelivery, OutboxEvent
from huiyuan.events.registry import subscriber
from huiyuan.events.selectors import events_due
from huiyuan.events.services import event_emit, event_retry
from huiyuan.jobs import scheduler
from huiyuan.ledger.tests.factories import card, default_rule, key
from huiyuan.wallet.services import wallet_recharge

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(owner, cashier):
    default_rule(owner)
    c = card(cashier, owner)
    wallet_recharge(
        actor=cashier, card_id=c.pk, amount_fen=20_000, method="cash", idempotency_key=key()
    )
    return c


def sell(cashier, funded, amount: int = 1_000):
    return sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=amount, card_id=funded.pk, balance_fen=amount),
        idempotency_key=key(),
    )


def deliveries(event: OutboxEvent) -> list[tuple[str, str, int]]:
    return list(
        EventDelivery.objects.filter(event=event)
        .order_by("subscriber")
        .values_list("subscriber", "status", "attempts")
    )


def test_subscribers_run_after_the_commit_once_per_transaction(
    recorder, cashier, funded, django_capture_on_commit_callbacks
):
    sales = recorder("sale.completed", name="test.sales")
    members = recorder("member.registered", "sale.completed", name="test.members")
    # The commit's callbacks run at the end of the block; the test backend runs tasks inline.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sale = sell(cashier, funded)
        event = OutboxEvent.objects.get(name="sale.completed")
        assert (event.status, sales.seen) == ("pending", [])  # nothing before the commit
    assert callbacks.count(services._enqueue_dispatch) == 1

    assert sales.seen == members.seen == [(event.pk, "sale.completed")]
    event.refresh_from_db()
    assert (event.status, event.payload["sale_id"], event.last_error) == ("done", sale.pk, "")
    assert event.dispatched_at is not None and event.next_attempt_at is None
    assert deliveries(event) == [("test.members", "done", 1), ("test.sales", "done", 1)]


def test_two_events_in_one_transaction_enqueue_one_dispatch(
    recorder, db, django_capture_on_commit_callbacks
):
    recorder("member.registered", name="test.members")
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for channel in ("store", "api"):
            event_emit("member.registered", payload={"channel": channel, "referrer_id": None})
    assert callbacks.count(services._enqueue_dispatch) == 1


def test_a_failing_subscriber_is_retried_with_backoff_and_the_others_are_not_rerun(
    recorder, cashier, funded
):
    ok = recorder("sale.completed", name="test.ok")
    flaky = recorder("sale.completed", name="test.flaky")
    flaky.failures_left = 2
    sell(cashier, funded)
    event = OutboxEvent.objects.get(name="sale.completed")
    now = timezone.now()

    report = events_dispatch(now=now)
    assert report.as_dict() == {"events": 1, "delivered": 1, "failed": 1, "skipped": 0}
    event.refresh_from_db()
    assert event.status == "pending"
    assert event.next_attempt_at == now + dt.timedelta(seconds=30)
    assert event.last_error == "test.flaky: RuntimeError: test.flaky is down"
    assert deliveries(event) == [("test.flaky", "pending", 1), ("test.ok", "done", 1)]

    # Not due yet: nothing runs.
    assert events_dispatch(now=now + dt.timedelta(seconds=29)).events == 0
    # Due: only the flaky one runs again, fails again, and waits twice as long.
    events_dispatch(now=now + dt.timedelta(seconds=30))
    event.refresh_from_db()
    assert event.next_attempt_at == now + dt.timedelta(seconds=30 + 60)
    assert deliveries(event) == [("test.flaky", "pending", 2), ("test.ok", "done", 1)]
    events_dispatch(now=now + dt.timedelta(seconds=90))

    event.refresh_from_db()
    assert (event.status, event.last_error, event.next_attempt_at) == ("done", "", None)
    assert deliveries(event) == [("test.flaky", "done", 3), ("test.ok", "done", 1)]
    assert ok.seen == [(event.pk, "sale.completed")]
    assert flaky.seen == [(event.pk, "sale.completed")] * 3


def test_a_failing_subscriber_leaves_nothing_of_what_it_wrote(registry, db):
    """Its writes roll back with it; the delivery record says it failed."""

    @subscriber("member.registered", name="test.writes_then_fails")
    def writes_then_fails(event: OutboxEvent) -> None:
        event_emit("points.adjusted", payload={"card_id": 1, "operation_id": 1, "delta": 5})
        raise ValueError("no coupon stock")

    with transaction.atomic():
        event_emit("member.registered", payload={"channel": "store", "referrer_id": None})
    events_dispatch()
    assert list(OutboxEvent.objects.values_list("name", "status")) == [
        ("member.registered", "pending")
    ]
    assert EventDelivery.objects.get().last_error == "ValueError: no coupon stock"


def test_after_the_last_attempt_the_event_fails_and_a_retry_starts_it_over(
    recorder, owner, actors, cashier, funded, monkeypatch
):
    monkeypatch.setattr(dispatch, "MAX_ATTEMPTS", 2)
    ok = recorder("sale.completed", name="test.ok")
    down = recorder("sale.completed", name="test.down")
    down.failures_left = 2
    sell(cashier, funded)
    event = OutboxEvent.objects.get(name="sale.completed")
    now = timezone.now()
    events_dispatch(now=now)
    events_dispatch(now=now + dt.timedelta(minutes=1))
    event.refresh_from_db()
    assert (event.status, event.next_attempt_at) == ("failed", None)
    assert deliveries(event) == [("test.down", "failed", 2), ("test.ok", "done", 1)]
    assert not events_due(now + dt.timedelta(days=1))  # a failed event waits for a person

    with pytest.raises(PermissionDenied) as refused:
        event_retry(actor=cashier, event_id=event.pk)
    assert refused.value.details == {"permission": "event.retry"}
    assert deliveries(event) == [("test.down", "failed", 2), ("test.ok", "done", 1)]

    event_retry(actor=owner, event_id=event.pk)
    event.refresh_from_db()
    assert event.status == "pending"
    assert deliveries(event) == [("test.down", "pending", 0), ("test.ok", "done", 1)]
    events_dispatch()
    event.refresh_from_db()
    assert (event.status, event.last_error) == ("done", "")
    assert deliveries(event) == [("test.down", "done", 1), ("test.ok", "done", 1)]
    assert len(ok.seen) == 1 and len(down.seen) == 3

    with pytest.raises(Conflict) as refused:
        event_retry(actor=owner, event_id=event.pk)
    assert refused.value.code == "event_delivered"


def test_a_subscriber_gone_from_the_worker_is_a_failure_to_retry(registry, db):
    @subscriber("member.registered", name="test.removed_later")
    def removed_later(event: OutboxEvent) -> None:
        pass

    with transaction.atomic():
        event = event_emit("member.registered", payload={"channel": "store", "referrer_id": None})
    EventDelivery.objects.create(
        event=event, subscriber="test.renamed", next_attempt_at=event.occurred_at
    )
    events_dispatch()
    assert deliveries(event) == [("test.removed_later", "done", 1), ("test.renamed", "pending", 1)]
    assert EventDelivery.objects.get(subscriber="test.renamed").last_error == (
        "LookupError: this subscriber is not registered in the worker"
    )


def test_the_scheduler_sweep_delivers_what_was_left_pending(recorder, cashier, funded):
    """No dispatch ran after the commit (the enqueue was lost): the next tick delivers."""
    sales = recorder("sale.completed", name="test.sales")
    sell(cashier, funded)  # in the test's transaction: its on-commit dispatch never runs
    event = OutboxEvent.objects.get(name="sale.completed")
    assert events_due()
    assert "dispatch_events" in scheduler.tick(who="test")
    assert sales.seen == [(event.pk, "sale.completed")]
    event.refresh_from_db()
    assert event.status == "done"
    assert not events_due()
    assert "dispatch_events" not in scheduler.tick(who="test")


def test_a_claimed_event_is_not_claimed_again_until_its_lease_runs_out(recorder, db):
    recorder("member.registered", name="test.members")
    with transaction.atomic():
        event = event_emit("member.registered", payload={"channel": "store", "referrer_id": None})
    now = timezone.now()
    assert dispatch._claim(now, 10) == [event]  # a dispatcher takes it, then dies
    assert dispatch._claim(now, 10) == []
    assert not events_due(now)
    assert events_due(now + dispatch.LEASE)
    assert events_dispatch(now=now + dispatch.LEASE).delivered == 1
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("done", 2)
