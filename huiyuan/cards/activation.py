"""Activating a pre-made card by number and secret code (卡密激活), with attempt limits.

``card_activate`` works in two short transactions:

1. **The code is checked** under the card's row lock, together with the attempt counters
   of the card number, of the staff member or terminal, and of the network address
   (``CodeAttemptThrottle``). A wrong code (or an unknown number) is counted on each, and
   the count commits with that transaction: ``MAX_CARD_FAILURES`` wrong codes for one card
   number, or ``MAX_SOURCE_FAILURES`` from one staff member, terminal or address, within
   ``WINDOW`` lock further attempts for ``LOCKOUT`` (``activation_locked``, HTTP 429) —
   the right code included. The counters are read, compared and written under their row
   locks (after the card's), so the limit is exact even when wrong codes arrive at once.
2. **The card is activated** (an idempotent command): the member (if any), then the card
   and its accounts are locked (``cards.locks``), and everything is decided on what the
   lock holder reads — the code is still unused, the card was sold, the activation
   deadline has not passed, the prepaid limit holds. Of many requests with one code, the
   first to get the lock activates; the others find the code used (``code_already_used``).

No money moves: the face value has been on the card since the batch was sold.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.cards import codes
from huiyuan.cards.locks import card_lock, member_lock
from huiyuan.cards.models import BatchCard, Card, CodeAttemptThrottle
from huiyuan.cards.services import add_months
from huiyuan.core import pii
from huiyuan.core.clock import local_date
from huiyuan.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.retry import RetryTransaction, atomic_retry
from huiyuan.events.services import event_emit
from huiyuan.ledger.commands import actor_scope, clean_key, command_run
from huiyuan.members.models import Member
from huiyuan.stores.scope import ScopeOp, scope_require
from huiyuan.wallet.models import WalletPolicy
from huiyuan.wallet.services import card_limit_fen

MAX_CARD_FAILURES = 5
MAX_SOURCE_FAILURES = 10
WINDOW = dt.timedelta(minutes=15)
LOCKOUT = dt.timedelta(minutes=15)
NUMBER_MAX = 32


class ActivationLocked(DomainError):
    """Too many wrong codes: attempts are refused until ``details["retry_after_seconds"]``."""

    status = 429
    code = "activation_locked"


@dataclass(frozen=True)
class CodeCheck:
    """What the first step found: the card to activate, or why not."""

    card_id: int | None
    locked_until: dt.datetime | None = None
    attempts_left: int | None = None


def _source(actor: Actor) -> str:
    """Whose attempts these are: a terminal, a staff member, or a member in the portal
    (each member counted alone, so one member's wrong codes never lock another's)."""
    member_id = getattr(actor, "member_id", None)
    if actor.terminal is None and actor.staff is None and member_id is not None:
        return f"member:{member_id}"
    return actor_scope(actor)


def _keys(actor: Actor, number: str, address: str) -> list[tuple[str, str, int]]:
    """(scope, key, limit) of every counter an attempt counts on; no personal data in keys."""
    keys: list[tuple[str, str, int]] = [
        (
            CodeAttemptThrottle.Scope.CARD,
            pii.keyed_hash(f"card-number\x1f{number}"),
            MAX_CARD_FAILURES,
        ),
        (CodeAttemptThrottle.Scope.ACTOR, _source(actor), MAX_SOURCE_FAILURES),
    ]
    if address:
        keys.append(
            (
                CodeAttemptThrottle.Scope.ADDRESS,
                pii.keyed_hash(f"address\x1f{address}"),
                MAX_SOURCE_FAILURES,
            )
        )
    return keys


def _check_code(*, actor: Actor, number: str, code: str, address: str) -> CodeCheck:
    """Step 1, in its own transaction: compare the code, count a failure, honour a lock."""
    now = timezone.now()
    entry = None
    if number:
        entry = BatchCard.objects.filter(card__number=number).only("card_id", "code_hash").first()
    if entry is not None:
        # Attempts on one card are decided one at a time: the counters below are exact.
        list(Card.objects.select_for_update(no_key=True).filter(pk=entry.card_id))
    keys = _keys(actor, number, address)
    wanted = Q()
    for scope, key, _limit in keys:
        wanted |= Q(scope=scope, key=key)
    rows = {
        (r.scope, r.key): r
        for r in CodeAttemptThrottle.objects.select_for_update()
        .filter(wanted)
        .order_by("scope", "key")
    }
    locked = [r.locked_until for r in rows.values() if r.locked_until and r.locked_until > now]
    if locked:
        return CodeCheck(card_id=None, locked_until=max(locked), attempts_left=0)
    if entry is not None and codes.code_matches(entry.code_hash, number, code):
        return CodeCheck(card_id=entry.card_id)
    left: list[int] = []
    until: dt.datetime | None = None
    for scope, key, limit in keys:
        row = rows.get((scope, key))
        if row is None:
            try:
                with transaction.atomic():
                    row = CodeAttemptThrottle.objects.create(
                        scope=scope, key=key, failures=0, window_started_at=now
                    )
            except IntegrityError as exc:  # a twin attempt created it first: start again
                raise RetryTransaction() from exc
        elif row.window_started_at <= now - WINDOW or row.locked_until is not None:
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= limit:
            row.locked_until = until = now + LOCKOUT
        row.save(update_fields=["failures", "window_started_at", "locked_until"])
        left.append(max(limit - row.failures, 0))
    return CodeCheck(card_id=None, locked_until=until, attempts_left=min(left))


def _locked(until: dt.datetime) -> ActivationLocked:
    seconds = max(math.ceil((until - timezone.now()).total_seconds()), 1)
    minutes = (seconds + 59) // 60
    return ActivationLocked(
        _(
            "Too many wrong secret codes: activation is locked for %(minutes)s more "
            "minutes. Check the card and try again later."
        )
        % {"minutes": minutes},
        details={"retry_after_seconds": seconds},
    )


def card_activate(
    *,
    actor: Actor,
    card_number: str,
    code: str,
    idempotency_key: str,
    member_id: int | None = None,
    client_address: str = "",
) -> BatchCard:
    """Activate a pre-made card with its secret code, for ``member_id`` or as a bearer card.

    ``client_address`` is the caller's network address (counted, never stored in clear).
    """
    require(actor, Perm.CARD_ACTIVATE)
    key = clean_key(idempotency_key)
    number = "".join((card_number or "").split())[:NUMBER_MAX]
    code = codes.code_normalize(code)
    check = atomic_retry(
        lambda: _check_code(actor=actor, number=number, code=code, address=client_address)
    )
    if check.card_id is None:
        if check.locked_until is not None:
            raise _locked(check.locked_until)
        raise ValidationFailed(
            _(
                "The card number or the secret code is wrong (%(left)s attempts left before "
                "activation is locked for 15 minutes)."
            )
            % {"left": check.attempts_left},
            code="invalid_card_or_code",
            field="code",
            details={"attempts_left": check.attempts_left},
        )
    card_id: int = check.card_id

    def perform() -> BatchCard:
        now = timezone.now()
        member = None
        if member_id is not None:
            member = member_lock(member_id)  # member → card: the fixed lock order
            if member is None:
                raise NotFound(_("Member not found."), code="member_not_found", field="member_id")
        lock = card_lock(card_id)
        card = lock.card
        entry = BatchCard.objects.select_related("batch").get(card_id=card.pk)
        if not codes.code_matches(entry.code_hash, card.number, code):
            raise ValidationFailed(
                _("The card number or the secret code is wrong."), code="invalid_card_or_code"
            )
        if entry.status == BatchCard.Status.ACTIVATED:
            raise Conflict(
                _("This secret code has been used: the card is activated already."),
                code="code_already_used",
            )
        if entry.status == BatchCard.Status.VOIDED or card.status != Card.Status.PENDING:
            raise Conflict(_("This card was voided and cannot be activated."), code="card_voided")
        if entry.sale_operation_id is None:
            raise Conflict(
                _("This card's batch has not been paid for yet; it cannot be activated."),
                code="batch_not_sold",
            )
        batch = entry.batch
        if batch.activate_by is not None and local_date(now) > batch.activate_by:
            raise Conflict(
                _("The last day to activate this card was %(date)s.")
                % {"date": batch.activate_by.isoformat()},
                code="activation_expired",
            )
        scope_require(actor, ScopeOp.SPEND, home_store_id=card.store_id)
        if member is None and not card.card_type.anonymous:
            raise ValidationFailed(
                _("This is a named card: choose the member it belongs to."),
                code="member_required",
                field="member_id",
            )
        if member is not None and member.status != Member.Status.ACTIVE:
            raise Conflict(_("The member is not active."), code="member_not_active")
        principal = lock.principal.balance
        limit = card_limit_fen(card, WalletPolicy.current())
        if principal > limit:
            raise Conflict(
                _(
                    "Over the prepaid limit: this card holds %(balance)s but may hold at most "
                    "%(limit)s now; void it and refund the buyer."
                )
                % {"balance": fen_to_yuan_str(principal), "limit": fen_to_yuan_str(limit)},
                code="prepaid_limit_exceeded",
                details={"limit_fen": limit, "balance_fen": principal},
            )
        months = batch.validity_months or card.card_type.validity_months
        card.member = member
        card.status = Card.Status.ACTIVE
        card.expires_at = add_months(now, months) if months else None
        card.save(update_fields=["member", "status", "expires_at"])
        if member is not None:
            Member.objects.filter(pk=member.pk).update(last_activity_at=now)
        entry.status = BatchCard.Status.ACTIVATED
        entry.activated_at = now
        entry.activated_by = actor.staff
        entry.activated_store_id = actor.store_id
        entry.code_encrypted = ""  # used once: nothing left to print
        entry.save(
            update_fields=[
                "status",
                "activated_at",
                "activated_by",
                "activated_store",
                "code_encrypted",
            ]
        )
        audit_record(
            actor=actor,
            action="card.activated",
            subject_type="card",
            subject_id=card.pk,
            member_id=member.pk if member else None,
            before={"status": Card.Status.PENDING},
            after={
                "status": card.status,
                "number": card.number,
                "batch": batch.pk,
                "serial": entry.serial,
                "principal_fen": principal,
                "expires_at": card.expires_at.isoformat() if card.expires_at else None,
            },
        )
        event_emit(
            "card.activated",
            payload={
                "card_id": card.pk,
                "card_type_id": card.card_type_id,
                "batch_id": batch.pk,
                "principal_fen": principal,
            },
            member_id=member.pk if member else None,
            store_id=actor.store_id,
        )
        return entry

    return command_run(
        actor=actor,
        key=key,
        kind="card_activate",
        payload={
            "card": number,
            "code": codes.code_hash(number, code),
            "member_id": member_id,
        },
        perform=perform,
        load=lambda pk: BatchCard.objects.select_related("card", "batch").get(pk=pk),
    )
