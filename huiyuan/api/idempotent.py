"""One helper for the settings writes: run a service once per ``Idempotency-Key``.

A retried request with the same key and body answers what the first one did (``load`` of
the first result's id); the same key with another body is refused
(``idempotency_key_reused``). Money writes use ``ledger.commands.command_run`` directly.
Here a used key is looked up first (``look_first``: configuration writes are rare; one more
query is nothing), so a retry never reaches a service whose second identical write would
fail on a unique index instead of being replayed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.money import require_key
from huiyuan.ledger.commands import HasPk, command_run

R = TypeVar("R", bound=HasPk)


def run_once(
    request: HttpRequest,
    key: str,
    kind: str,
    payload: dict[str, Any],
    perform: Callable[[], R],
    load: Callable[[int], R],
) -> R:
    return command_run(
        actor=actor_of(request),
        key=require_key(key),
        kind=kind,
        payload=payload,
        perform=perform,
        load=load,
        look_first=True,
    )


def run_keyed(
    request: HttpRequest,
    key: str | None,
    kind: str,
    payload: dict[str, Any],
    perform: Callable[[], R],
    load: Callable[[int], R],
) -> R:
    """``run_once`` when the caller sends a key, else just ``perform``.

    For the operations where the key is optional (those older than the rule that every
    create takes one: requiring it now would break existing callers inside ``/api/v1/``).
    With a key, a retry answers the first result and records nothing twice.
    """
    if key is None or not key.strip():
        return perform()
    return run_once(request, key, kind, payload, perform, load)
