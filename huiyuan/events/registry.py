"""Subscribers: in-process functions that react to domain events after they commit.

Declare one in your app's ``subscribers.py`` (imported at start-up by the events app)::

    from huiyuan.events.registry import subscriber

    @subscriber("sale.completed")
    def coupons_on_sale(event: OutboxEvent) -> None:
        ...

A subscriber runs in its own transaction, once per event: its delivery row is marked done
in that same transaction, so what it writes and the record that it ran commit together.
If it raises, its writes roll back and it is tried again later (with backoff), without
running again the subscribers of that event that succeeded. Its name (default: module and
function) keys the delivery record: keep it stable, or pass ``name=``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from huiyuan.events.names import EVENTS

if TYPE_CHECKING:
    from huiyuan.events.models import OutboxEvent

Handler = Callable[["OutboxEvent"], object]


@dataclass(frozen=True)
class Subscriber:
    name: str
    handler: Handler
    # Optional: asked whether this subscriber wants an event of this name right now (the
    # webhooks want only the names some active subscription lists). It runs inside the
    # emitting transaction, so it must be cheap (a cache, no query on the hot path); an
    # event nobody wants is recorded as delivered at once, as with no subscriber.
    wants: Callable[[str], bool] | None = None

    def wanted(self, event_name: str) -> bool:
        return self.wants is None or self.wants(event_name)


# event name → subscriber name → subscriber
_REGISTRY: dict[str, dict[str, Subscriber]] = {}


def subscriber(
    *event_names: str, name: str = "", wants: Callable[[str], bool] | None = None
) -> Callable[[Handler], Handler]:
    """Register the decorated function for ``event_names`` (``wants``: see Subscriber)."""
    if not event_names:
        raise ValueError("subscribe to at least one event name")
    unknown = [n for n in event_names if n not in EVENTS]
    if unknown:
        raise ValueError(f"unknown event names: {', '.join(unknown)}")

    def register(handler: Handler) -> Handler:
        key = name or f"{handler.__module__}.{handler.__qualname__}"
        if len(key) > 200:
            raise ValueError("a subscriber name has at most 200 characters")
        for event_name in event_names:
            registered = _REGISTRY.setdefault(event_name, {})
            existing = registered.get(key)
            if existing is not None and existing.handler is not handler:
                raise ValueError(f"two subscribers named {key} for {event_name}")
            registered[key] = Subscriber(name=key, handler=handler, wants=wants)
        return handler

    return register


def subscribers_for(event_name: str) -> list[Subscriber]:
    """The subscribers of ``event_name`` that want it now, by name."""
    subs = [s for s in _REGISTRY.get(event_name, {}).values() if s.wanted(event_name)]
    return sorted(subs, key=lambda s: s.name)


def subscriber_named(event_name: str, name: str) -> Subscriber | None:
    return _REGISTRY.get(event_name, {}).get(name)


def has_subscribers(event_name: str) -> bool:
    return any(s.wanted(event_name) for s in _REGISTRY.get(event_name, {}).values())


def registry_snapshot() -> dict[str, dict[str, Subscriber]]:
    """A copy of the registry (tests register subscribers and restore it afterwards)."""
    return {name: dict(subs) for name, subs in _REGISTRY.items()}


def registry_restore(snapshot: dict[str, dict[str, Subscriber]]) -> None:
    _REGISTRY.clear()
    _REGISTRY.update({name: dict(subs) for name, subs in snapshot.items()})
