"""Deliver committed events to their subscribers: at least once each, and recorded
exactly once per (event, subscriber).

The worker runs ``events_dispatch`` after each commit that wrote events, and the scheduler
sweeps up whatever is still due (a lost enqueue, a crashed worker, a retry whose backoff
ran out). Several dispatchers may run at once:

1. **Claim** a batch of due events (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), push their
   ``next_attempt_at`` out by a lease so that other dispatchers take other events, and
   write the missing delivery rows (one per registered subscriber) — one transaction per
   batch. A dispatcher that dies mid-batch leaves its events due again when the lease
   runs out.
2. **Deliver** each pending delivery in its own transaction: lock the delivery row
   (``SKIP LOCKED``), re-check it is still pending, run the subscriber in a savepoint,
   record the outcome, and settle the event (below) — one commit. What the subscriber
   wrote and the record that it ran commit together, so two dispatchers never both
   deliver it. A subscriber that raises has its writes rolled back and is tried again
   after a backoff (30 s, 1 min, 2 min … at most an hour apart), ``MAX_ATTEMPTS`` times,
   then marked failed (the console's retry button starts it over).
3. **Settle** the event under its row lock from its deliveries: done, failed, or due
   again at its earliest retry. Locks are always taken delivery first, then event.

SQLite has no row locks: its writers are serialised, which is as safe, one at a time.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from huiyuan.events.models import EventDelivery, OutboxEvent
from huiyuan.events.registry import subscriber_named, subscribers_for

log = logging.getLogger(__name__)

BATCH = 50
MAX_BATCHES = 20  # per run; the next run (or sweep) takes the rest
LEASE = dt.timedelta(minutes=5)
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600
MAX_ATTEMPTS = 10
ERROR_LENGTH = 2000


@dataclass
class DispatchReport:
    events: int = 0  # events looked at
    delivered: int = 0  # deliveries that succeeded
    failed: int = 0  # attempts that raised
    skipped: int = 0  # deliveries another dispatcher held or had finished

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    return dt.timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** (attempts - 1), RETRY_MAX_SECONDS))


def _claim(now: dt.datetime, limit: int) -> list[OutboxEvent]:
    """Take up to ``limit`` due events for the length of a lease, with a delivery row for
    each subscriber registered now (the unique key keeps it one per subscriber)."""
    with transaction.atomic():
        events = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(status=OutboxEvent.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:limit]
        )
        if events:
            OutboxEvent.objects.filter(pk__in=[e.pk for e in events]).update(
                next_attempt_at=now + LEASE, attempts=F("attempts") + 1
            )
            # Only the missing rows: an insert that met an existing row another dispatcher
            # is updating would wait for it (and that one may wait for this event's lock).
            existing = set(
                EventDelivery.objects.filter(event__in=events).values_list("event_id", "subscriber")
            )
            rows = [
                EventDelivery(event=event, subscriber=s.name, next_attempt_at=now)
                for event in events
                for s in subscribers_for(event.name)
                if (event.pk, s.name) not in existing
            ]
            EventDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return events


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]


def _deliver(
    delivery_id: int, event: OutboxEvent, now: dt.datetime, report: DispatchReport
) -> None:
    """Run one subscriber for one event, in its own transaction (which also settles the
    event), unless another dispatcher holds it or has already done it."""
    with transaction.atomic():
        delivery = (
            EventDelivery.objects.select_for_update(skip_locked=True)
            .filter(pk=delivery_id, status=EventDelivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            report.skipped += 1
            return
        delivery.attempts += 1
        found = subscriber_named(event.name, delivery.subscriber)
        try:
            if found is None:
                raise LookupError("this subscriber is not registered in the worker")
            with transaction.atomic():
                found.handler(event)
        except Exception as exc:  # noqa: BLE001 - any subscriber failure is recorded and retried
            delivery.last_error = _describe(exc)
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = EventDelivery.Status.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = now + retry_delay(delivery.attempts)
            report.failed += 1
            log.warning(
                "event %s: subscriber %s failed (attempt %s): %s",
                event.pk,
                delivery.subscriber,
                delivery.attempts,
                type(exc).__name__,
            )
        else:
            delivery.status = EventDelivery.Status.DONE
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
            report.delivered += 1
        delivery.save(
            update_fields=["status", "attempts", "last_error", "next_attempt_at", "delivered_at"]
        )
        _settle(event.pk, now)


def _settle(event_id: int, now: dt.datetime) -> None:
    """Set the event's status from its deliveries, under the event's row lock (inside a
    delivery's transaction, after the delivery's own row)."""
    with transaction.atomic():
        event = OutboxEvent.objects.select_for_update().get(pk=event_id)
        deliveries = list(EventDelivery.objects.filter(event_id=event_id).order_by("subscriber"))
        pending = [d for d in deliveries if d.status == EventDelivery.Status.PENDING]
        open_errors = [
            f"{d.subscriber}: {d.last_error}"
            for d in deliveries
            if d.status != EventDelivery.Status.DONE and d.last_error
        ]
        event.last_error = "\n".join(open_errors)[:ERROR_LENGTH]
        if pending:
            event.status = OutboxEvent.Status.PENDING
            # A delivery due now is being run by the dispatcher that holds the event: keep
            # the lease so that no other takes it meanwhile (it is due again if that one dies).
            due_at = min(d.next_attempt_at or now for d in pending)
            event.next_attempt_at = now + LEASE if due_at <= now else due_at
        elif any(d.status == EventDelivery.Status.FAILED for d in deliveries):
            event.status = OutboxEvent.Status.FAILED
            event.next_attempt_at = None
        else:
            event.status = OutboxEvent.Status.DONE
            event.next_attempt_at = None
            event.dispatched_at = timezone.now()
        event.save(update_fields=["status", "next_attempt_at", "last_error", "dispatched_at"])


def _dispatch_event(event: OutboxEvent, now: dt.datetime, report: DispatchReport) -> None:
    due = list(
        EventDelivery.objects.filter(
            event_id=event.pk, status=EventDelivery.Status.PENDING, next_attempt_at__lte=now
        ).values_list("pk", flat=True)
    )
    for delivery_id in due:
        _deliver(delivery_id, event, now, report)
    if not due:  # nothing to run (no subscriber left): settle it on its own
        _settle(event.pk, now)
    report.events += 1


def events_dispatch(
    *, now: dt.datetime | None = None, batches: int = MAX_BATCHES
) -> DispatchReport:
    """Deliver every due event (up to ``batches`` × ``BATCH`` of them) to its subscribers."""
    report = DispatchReport()
    for _batch in range(batches):
        moment = now or timezone.now()
        claimed = _claim(moment, BATCH)
        if not claimed:
            break
        for event in claimed:
            try:
                _dispatch_event(event, moment, report)
            except Exception:
                log.exception("event %s could not be dispatched; its lease will run out", event.pk)
    return report
