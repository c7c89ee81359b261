"""Emit domain events into the outbox, and send a stuck event round again.

``event_emit`` is called by a service inside the transaction of its change, next to its
``audit_record``: the event commits with the change or not at all. After the commit the
worker delivers it to the subscribers (``huiyuan.events.dispatch``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import Conflict, NotFound
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.events.models import EventDelivery, OutboxEvent
from huiyuan.events.names import EVENTS, PERSONAL_KEYS
from huiyuan.events.registry import has_subscribers

# A text value in a payload is a code (a payment method, a channel, a kind), never prose.
_CODE = re.compile(r"[a-z][a-z0-9_.-]{0,39}")


def _check_value(name: str, key: str, value: Any) -> None:
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, str) and (value == "" or _CODE.fullmatch(value)):
        return
    if isinstance(value, dict) and all(
        isinstance(k, str) and _CODE.fullmatch(k) and isinstance(v, int) and not isinstance(v, bool)
        for k, v in value.items()
    ):
        return
    raise ValueError(f"{name}: {key} must be an id, an amount or a code, not {value!r}")


def payload_check(name: str, payload: dict[str, Any]) -> None:
    """Refuse an unknown event, a payload whose keys differ from the catalogue's, personal
    data, and values that are not ids, amounts or codes."""
    spec = EVENTS.get(name)
    if spec is None:
        raise ValueError(f"unknown event name {name!r}: declare it in huiyuan/events/names.py")
    personal = PERSONAL_KEYS.intersection(payload)
    if personal:
        raise ValueError(f"{name}: personal data in the payload ({', '.join(sorted(personal))})")
    if set(payload) != spec.keys:
        missing, extra = spec.keys - set(payload), set(payload) - spec.keys
        raise ValueError(
            f"{name}: payload keys differ (missing {missing or '-'}, extra {extra or '-'})"
        )
    for key, value in payload.items():
        _check_value(name, key, value)


def _outbox_row(
    name: str,
    *,
    payload: dict[str, Any],
    member_id: int | None,
    store_id: int | None,
    now: dt.datetime,
    subscribed: bool,
) -> OutboxEvent:
    return OutboxEvent(
        name=name,
        payload=payload,
        member_id=member_id,
        store_id=store_id,
        occurred_at=now,
        status=OutboxEvent.Status.PENDING if subscribed else OutboxEvent.Status.DONE,
        next_attempt_at=now if subscribed else None,
        dispatched_at=None if subscribed else now,
    )


def event_emit(
    name: str,
    *,
    payload: dict[str, Any],
    member_id: int | None = None,
    store_id: int | None = None,
) -> OutboxEvent:
    """Write one event in the caller's transaction. Refuses to run outside a transaction.

    An event nobody subscribes to is recorded as delivered at once (integrators still read
    it from the API); otherwise the worker is asked, once per transaction, to dispatch
    after the commit.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_emit() must run inside the change's transaction")
    payload_check(name, payload)
    subscribed = has_subscribers(name)
    event = _outbox_row(
        name,
        payload=payload,
        member_id=member_id,
        store_id=store_id,
        now=timezone.now(),
        subscribed=subscribed,
    )
    event.save(force_insert=True)
    if subscribed:
        dispatch_after_commit()
    return event


@dataclass(frozen=True)
class EventItem:
    """One event of ``event_emit_many``: what ``event_emit`` takes besides the name."""

    payload: dict[str, Any]
    member_id: int | None = None
    store_id: int | None = None


def event_emit_many(name: str, *, items: Sequence[EventItem]) -> list[OutboxEvent]:
    """Write many events of one name in one insert (a batch job's chunk), each checked as
    ``event_emit`` checks it, all before anything is written. Refuses to run outside a
    transaction; asks for one dispatch after the commit."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_emit_many() must run inside the change's transaction")
    for item in items:
        payload_check(name, item.payload)
    if not items:
        return []
    now = timezone.now()
    subscribed = has_subscribers(name)
    events = OutboxEvent.objects.bulk_create(
        [
            _outbox_row(
                name,
                payload=item.payload,
                member_id=item.member_id,
                store_id=item.store_id,
                now=now,
                subscribed=subscribed,
            )
            for item in items
        ]
    )
    if subscribed:
        dispatch_after_commit()
    return events


def _enqueue_dispatch() -> None:
    from huiyuan.events.tasks import dispatch_events

    dispatch_events.enqueue()


def dispatch_after_commit() -> None:
    """Enqueue the dispatch task when the current transaction commits — once, however many
    events it wrote. A failure to enqueue is logged, never raised: the periodic sweep
    (``huiyuan scheduler``) delivers what is left pending."""
    connection = transaction.get_connection()
    if any(func is _enqueue_dispatch for _ids, func, _robust in connection.run_on_commit):
        return
    transaction.on_commit(_enqueue_dispatch, robust=True)


def event_retry(*, actor: Actor, event_id: int) -> OutboxEvent:
    """Send an event that has not reached every subscriber round again, now: its failed
    and waiting deliveries start over; the ones that succeeded are not run again."""
    require(actor, Perm.EVENT_RETRY)
    with transaction.atomic():
        found = list(OutboxEvent.objects.filter(pk=event_id).values_list("store_id", flat=True))
        if not found:
            raise NotFound(_("Event not found."), code="event_not_found")
        require(actor, Perm.EVENT_RETRY, store_id=found[0], check_store=True)
        now = timezone.now()
        # Deliveries first, then the event: the order a dispatcher locks them in. A delivery
        # running now is waited for, and is left alone if it succeeds.
        restarted = (
            EventDelivery.objects.filter(event_id=event_id)
            .exclude(status=EventDelivery.Status.DONE)
            .update(status=EventDelivery.Status.PENDING, attempts=0, next_attempt_at=now)
        )
        event = OutboxEvent.objects.select_for_update().get(pk=event_id)
        if event.status == OutboxEvent.Status.DONE:
            raise Conflict(
                _("This event has already reached every subscriber."), code="event_delivered"
            )
        before = event.status
        event.status = OutboxEvent.Status.PENDING
        event.next_attempt_at = now
        event.save(update_fields=["status", "next_attempt_at"])
        audit_record(
            actor=actor,
            action="event.retried",
            subject_type="event",
            subject_id=event.pk,
            member_id=event.member_id,
            before={"status": before},
            after={"status": event.status, "deliveries": restarted},
            note=event.name,
            store_id=event.store_id,
        )
        dispatch_after_commit()
    return event


PURGE_CHUNK = 1000


def events_purge(*, now: dt.datetime | None = None) -> int:
    """Forget delivered events older than ``settings.EVENTS_RETENTION_DAYS`` (default 90),
    with their deliveries, in short transactions. Pending and failed events stay whatever
    their age: someone still has to look at them. Returns how many events were deleted."""
    days = int(getattr(settings, "EVENTS_RETENTION_DAYS", 90))
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    old = OutboxEvent.objects.filter(status=OutboxEvent.Status.DONE, occurred_at__lt=cutoff)
    deleted = 0
    while True:
        ids = list(old.order_by("pk").values_list("pk", flat=True)[:PURGE_CHUNK])
        if not ids:
            return deleted
        with transaction.atomic():
            EventDelivery.objects.filter(event_id__in=ids).delete()
            OutboxEvent.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
