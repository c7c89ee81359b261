"""Idempotent commands: one helper for every write a cashier or a POS may retry.

``command_run`` runs a service's ``perform`` once per (actor scope, key):

- the request hash covers the command kind, the actor's scope (terminal or staff), the
  store it acts at and the payload — the same key from another store, or with another
  payload, is refused with ``idempotency_key_reused``;
- a replay returns the stored result (what ``perform`` produced, by id), whatever became
  of the rows since (a sale later supplemented or reversed is still that sale);
- the key row is written at the end of the same transaction as the effect. A replay (or
  a twin request racing the first) either collides with the stored key on its unique
  index — its transaction is rolled back and runs again, finds the key and replays — or
  is refused by the business rules because the first already took the money — then,
  after the rollback, the first's committed key is found and replayed instead of the
  refusal. A new key therefore costs one INSERT, no look-up;
- deadlocks and busy locks retry the whole transaction (``core.retry.atomic_retry``).

Keys are purged by a scheduled job after ``settings.IDEMPOTENCY_RETENTION_DAYS`` (longer
than any offline POS queue).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import DomainError, ValidationFailed
from huiyuan.core.permissions import Actor
from huiyuan.core.retry import RetryTransaction, atomic_retry
from huiyuan.ledger.errors import IdempotencyConflict
from huiyuan.ledger.models import IdempotencyKey


class HasPk(Protocol):
    @property
    def pk(self) -> Any: ...


R = TypeVar("R", bound=HasPk)

MAX_KEY_LENGTH = 100


def actor_scope(actor: Actor) -> str:
    """Whose keys these are: a terminal's, a staff member's, or the system's."""
    if actor.terminal is not None:
        return f"terminal:{actor.terminal.pk}"
    if actor.staff is not None:
        return f"staff:{actor.staff.pk}"
    return "system"


def request_hash(*, kind: str, scope: str, store_id: int | None, payload: dict[str, Any]) -> str:
    body = json.dumps(
        {"kind": kind, "scope": scope, "store": store_id, "payload": payload},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def clean_key(key: str | None) -> str:
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            _("Idempotency-Key is required (1–100 characters)."),
            code="idempotency_key_required",
        )
    return key


def command_run(
    *,
    actor: Actor,
    key: str | None,
    kind: str,
    payload: dict[str, Any],
    perform: Callable[[], R],
    load: Callable[[int], R],
    store_id: int | None = None,
    look_first: bool = False,
) -> R:
    """Run ``perform`` once for this key; a replay returns ``load(id of the first result)``.

    ``look_first``: look the key up before the first attempt too — for writes whose second
    identical run would fail on a unique index rather than as a refusal (configuration)."""
    key = clean_key(key)
    scope = actor_scope(actor)
    digest = request_hash(
        kind=kind,
        scope=scope,
        store_id=store_id if store_id is not None else actor.store_id,
        payload=payload,
    )

    def replay_of(existing: IdempotencyKey) -> R:
        if existing.request_hash != digest or existing.result_id is None:
            raise IdempotencyConflict()
        return load(existing.result_id)

    attempts = 0

    def attempt() -> R:
        # The first attempt does not look the key up: a new key is the common case, and a
        # replay that gets this far is caught by the key's unique index at the end (or by
        # the refusal path below) and then replayed on the next attempt.
        nonlocal attempts
        attempts += 1
        if attempts > 1 or look_first:
            existing = IdempotencyKey.objects.filter(scope=scope, key=key).first()
            if existing is not None:
                return replay_of(existing)
        result = perform()
        try:
            IdempotencyKey.objects.create(
                scope=scope, key=key, kind=kind[:40], request_hash=digest, result_id=result.pk
            )
        except IntegrityError as exc:  # a twin with the same key committed first
            raise RetryTransaction() from exc
        return result

    try:
        return atomic_retry(attempt)
    except DomainError:
        # Refused — perhaps only because a twin request with this key already did it (or,
        # inside an enclosing transaction, because this is a replay: its savepoint is rolled
        # back and the enclosing transaction can still read the stored key).
        existing = IdempotencyKey.objects.filter(scope=scope, key=key).first()
        if existing is None:
            raise
        return replay_of(existing)


def idempotency_keys_purge(*, now: dt.datetime | None = None) -> int:
    """Forget keys older than the retention; returns how many were deleted."""
    now = now or timezone.now()
    days = int(getattr(settings, "IDEMPOTENCY_RETENTION_DAYS", 30))
    cutoff = now - dt.timedelta(days=days)
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
