"""Reads of the outbox: the console's list, one event with its deliveries, the API's feed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.events.models import EventDelivery, OutboxEvent


@dataclass(frozen=True)
class EventFilters:
    name: str = ""
    status: str = ""
    member_id: int | None = None
    since: dt.datetime | None = None


def _scoped(actor: Actor) -> QuerySet[OutboxEvent]:
    """The events an actor may read: every one for head office, its stores' otherwise."""
    require(actor, Perm.EVENT_VIEW)
    events = OutboxEvent.objects.all()
    if actor.store_ids is not None:
        events = events.filter(store_id__in=actor.store_ids)
    return events


def _filtered(events: QuerySet[OutboxEvent], filters: EventFilters) -> QuerySet[OutboxEvent]:
    if filters.name:
        events = events.filter(name=filters.name)
    if filters.status:
        events = events.filter(status=filters.status)
    if filters.member_id is not None:
        events = events.filter(member_id=filters.member_id)
    if filters.since is not None:
        events = events.filter(occurred_at__gte=filters.since)
    return events


def event_list(*, actor: Actor, filters: EventFilters | None = None) -> QuerySet[OutboxEvent]:
    """Newest first, each with its deliveries (one query for all of them)."""
    events = _filtered(_scoped(actor), filters or EventFilters())
    return events.order_by("-id").prefetch_related(
        Prefetch("deliveries", queryset=EventDelivery.objects.order_by("subscriber"))
    )


def event_get(*, actor: Actor, event_id: int) -> OutboxEvent | None:
    return event_list(actor=actor).filter(pk=event_id).first()


def event_feed(
    *, actor: Actor, filters: EventFilters, after: int = 0, limit: int = 100
) -> list[OutboxEvent]:
    """Oldest first after event id ``after``: an integrator polls with the last id it saw.

    Ids only grow, but a transaction that took its id earlier may commit later; a reader
    that must not miss any event re-reads a little behind its last id (see docs/events.md).
    """
    events = _filtered(_scoped(actor), filters).filter(pk__gt=after)
    return list(events.order_by("id")[:limit])


def events_due(now: dt.datetime | None = None) -> bool:
    """Whether any event waits for a dispatcher (the scheduler's sweep asks each tick)."""
    now = now or timezone.now()
    return OutboxEvent.objects.filter(
        Q(status=OutboxEvent.Status.PENDING) & Q(next_attempt_at__lte=now)
    ).exists()
