"""One helper for the settings writes: run a service once per ``Idempotency-Key``.

A retried request with the same key and body answers what the first one did (``load`` of
the first result's id); the same key with another body is refused
(``idempotency_key_reused``). Money writes use ``ledger.commands.command_run`` directly.
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
    )
