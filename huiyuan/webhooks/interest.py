"""Which event names some active subscription listens to, cached.

The outbox asks this inside every emitting transaction (``events.registry``: a subscriber's
``wants``), so it must not cost a query there: the set lives in Django's cache (Redis when
configured: every process sees a change at once; the local-memory cache: each process
re-reads it within ``TTL`` seconds) and is refreshed when a subscription changes. An event
emitted while the cache still says nobody listens is not sent to a subscription made a
moment before: a new subscription takes effect within ``TTL`` seconds in other processes.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

from huiyuan.webhooks.models import WebhookSubscription

CACHE_KEY = "huiyuan:webhooks:event-names"
TTL = 10  # seconds


def _load() -> frozenset[str]:
    names: set[str] = set()
    for listed in WebhookSubscription.objects.filter(is_active=True).values_list(
        "event_names", flat=True
    ):
        names.update(str(n) for n in listed or [])
    return frozenset(names)


def interest_refresh() -> frozenset[str]:
    names = _load()
    cache.set(CACHE_KEY, sorted(names), TTL)
    return names


def interest_changed() -> None:
    """A subscription changed in the current transaction: cache what this transaction sees
    now, and what is committed once it commits."""
    interest_refresh()
    transaction.on_commit(interest_refresh, robust=True)


def interest_clear() -> None:
    cache.delete(CACHE_KEY)


def event_wanted(event_name: str) -> bool:
    cached = cache.get(CACHE_KEY)
    if cached is None:
        return event_name in interest_refresh()
    return event_name in cached
