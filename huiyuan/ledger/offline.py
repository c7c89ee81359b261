"""Offline POS batches (O4): what a terminal recorded while it could not reach the server —
sales, recharges, count-card uses — submitted together when it is back.

Each item carries the idempotency key the terminal gave it when it was made and the local
moment it was made. Items are applied one by one, in the order sent, each in its own
transaction through the ordinary service (so each is re-validated now: balances, card and
member status, freezes, stock…), and each is reported on its own:

- ``accepted``: applied now;
- ``duplicate``: the key was already used for the same request (a batch sent twice, or an
  item that reached the server before the connection dropped): the first result is
  returned, nothing happens again;
- ``refused``: the service refused it (with its stable code and message) — a refused item
  changes nothing, and the items after it still run.

A moment more than ``OFFLINE_MAX_SKEW`` in the future, or older than the idempotency
retention (``IDEMPOTENCY_RETENTION_DAYS``: a key older than that may have been purged, so
a replay could no longer be recognised) is refused (``offline_moment_invalid``,
``offline_too_old``). Which prices a sale uses — those in force when it was made offline,
or now — is ``settings.OFFLINE_PRICES`` (``original`` by default), applied by the sale
service; the moment it was made is recorded on the sale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import DomainError, ValidationFailed
from huiyuan.core.permissions import Actor
from huiyuan.ledger.commands import actor_scope, clean_key
from huiyuan.ledger.models import IdempotencyKey

OFFLINE_MAX_SKEW = dt.timedelta(minutes=10)  # a terminal's clock may run a little fast
MAX_ITEMS = 500


@dataclass(frozen=True)
class OfflineItem:
    """One thing done offline: ``perform(occurred_at)`` applies it through its service
    (with ``key``) and returns what it made (anything with a ``pk``)."""

    kind: str
    key: str
    occurred_at: dt.datetime
    perform: Callable[[dt.datetime], Any]


@dataclass(frozen=True)
class OfflineOutcome:
    index: int
    kind: str
    key: str
    status: str  # accepted, duplicate, refused
    result_id: int | None = None
    error: dict[str, Any] | None = None


def _moment_error(moment: dt.datetime, now: dt.datetime) -> DomainError | None:
    if moment > now + OFFLINE_MAX_SKEW:
        return ValidationFailed(
            _("The moment is in the future; check the terminal's clock."),
            code="offline_moment_invalid",
            field="occurred_at",
        )
    days = int(getattr(settings, "IDEMPOTENCY_RETENTION_DAYS", 30))
    if moment < now - dt.timedelta(days=days):
        return ValidationFailed(
            _("Recorded more than %(days)s days ago: too old to be sent again safely.")
            % {"days": days},
            code="offline_too_old",
            field="occurred_at",
        )
    return None


def offline_batch_apply(*, actor: Actor, items: Sequence[OfflineItem]) -> list[OfflineOutcome]:
    """Apply each item in order; report each. See the module docstring."""
    if not items or len(items) > MAX_ITEMS:
        raise ValidationFailed(
            _("Send 1 to %(n)s items.") % {"n": MAX_ITEMS}, code="invalid_batch", field="items"
        )
    now = timezone.now()
    scope = actor_scope(actor)
    outcomes: list[OfflineOutcome] = []
    for index, item in enumerate(items):
        key = (item.key or "").strip()
        try:
            key = clean_key(item.key)
            refusal = _moment_error(item.occurred_at, now)
            if refusal is not None:
                raise refusal
            seen = IdempotencyKey.objects.filter(scope=scope, key=key).exists()
            result = item.perform(item.occurred_at)
        except DomainError as exc:
            outcomes.append(OfflineOutcome(index, item.kind, key, "refused", error=exc.as_dict()))
            continue
        status = "duplicate" if seen else "accepted"
        outcomes.append(OfflineOutcome(index, item.kind, key, status, result_id=result.pk))
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="offline.batch_applied",
            subject_type="offline_batch",
            subject_id=timezone.localtime(now).strftime("%Y%m%d%H%M%S"),
            after={
                status: sum(1 for o in outcomes if o.status == status)
                for status in ("accepted", "duplicate", "refused")
            },
        )
    return outcomes
