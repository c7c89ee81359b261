"""Open, close and hand over a cashier's shift (交接班).

Lock order: the cashier's staff row (``FOR NO KEY UPDATE`` on PostgreSQL), then the shift
row. Whether the cashier already has an open shift at the store, and whether a shift is
still open, are decided under those locks; a partial unique index backs the first rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.events.services import event_emit
from huiyuan.ledger.commands import command_run
from huiyuan.shifts.models import Shift
from huiyuan.shifts.takings import CASH, shift_takings
from huiyuan.stores.models import Staff, Terminal
from huiyuan.wallet.models import PaymentMethod

MAX_FLOAT_FEN = 10_000_000  # ¥100,000
MAX_COUNTED_FEN = 1_000_000_000


def _staff_of(actor: Actor) -> Staff:
    if actor.staff is None:
        raise PermissionDenied(
            _("A shift belongs to a signed-in cashier, not to a terminal key."),
            code="staff_required",
        )
    return actor.staff


def _clean_float(float_fen: object) -> int:
    if (
        not isinstance(float_fen, int)
        or isinstance(float_fen, bool)
        or not 0 <= float_fen <= MAX_FLOAT_FEN
    ):
        raise ValidationFailed(
            _("Enter a float from ¥0.00 to ¥100,000.00."), code="invalid_float", field="float"
        )
    return float_fen


def _clean_counted(counted: Mapping[str, object]) -> dict[str, int]:
    cleaned: dict[str, int] = {}
    for method, fen in counted.items():
        if method not in PaymentMethod.values:
            raise ValidationFailed(
                _("Unknown payment method."), code="invalid_method", field="counted"
            )
        if not isinstance(fen, int) or isinstance(fen, bool) or not 0 <= fen <= MAX_COUNTED_FEN:
            raise ValidationFailed(
                _("Enter each counted amount as zero or more."),
                code="invalid_counted",
                field="counted",
            )
        cleaned[method] = fen
    if CASH not in cleaned:
        raise ValidationFailed(
            _("Count the cash in the drawer."), code="cash_count_required", field="counted"
        )
    return dict(sorted(cleaned.items()))


def _store_of(actor: Actor) -> int:
    if actor.store_id is None:
        raise ValidationFailed(_("Choose the store you work at."), code="store_required")
    return actor.store_id


def shift_state(shift: Shift) -> dict[str, Any]:
    return {
        "status": shift.status,
        "store_id": shift.store_id,
        "terminal_id": shift.terminal_id,
        "cashier_id": shift.cashier_id,
        "float_fen": shift.float_fen,
        "expected": shift.expected,
        "counted": shift.counted,
        "cash_difference_fen": shift.cash_difference_fen,
    }


def _lock_cashier(staff_id: int) -> None:
    Staff.objects.select_for_update(no_key=True, of=("self",)).filter(pk=staff_id).first()


def _open(
    actor: Actor,
    *,
    staff: Staff,
    store_id: int,
    terminal_id: int | None,
    float_fen: int,
    previous: Shift | None,
    now: dt.datetime,
) -> Shift:
    """Inside the caller's transaction, with the cashier's row locked."""
    if Shift.objects.filter(cashier=staff, store_id=store_id, status=Shift.Status.OPEN).exists():
        raise Conflict(
            _("You already have an open shift at this store: close it first."),
            code="shift_already_open",
        )
    try:
        with transaction.atomic():
            shift = Shift.objects.create(
                store_id=store_id,
                terminal_id=terminal_id,
                cashier=staff,
                float_fen=float_fen,
                opened_at=now,
                previous=previous,
            )
    except IntegrityError as exc:  # a twin open committed meanwhile
        raise Conflict(
            _("You already have an open shift at this store: close it first."),
            code="shift_already_open",
        ) from exc
    audit_record(
        actor=actor,
        action="shift.opened",
        subject_type="shift",
        subject_id=shift.pk,
        after=shift_state(shift),
        store_id=store_id,
    )
    event_emit(
        "shift.opened",
        payload={
            "shift_id": shift.pk,
            "cashier_id": staff.pk,
            "terminal_id": terminal_id,
            "float_fen": float_fen,
            "previous_shift_id": previous.pk if previous else None,
        },
        store_id=store_id,
    )
    return shift


def _check_terminal(terminal_id: int | None, store_id: int) -> int | None:
    if terminal_id is None:
        return None
    if not Terminal.objects.filter(pk=terminal_id, store_id=store_id, is_active=True).exists():
        raise NotFound(
            _("No such terminal at this store."), code="terminal_not_found", field="terminal_id"
        )
    return terminal_id


def shift_open(
    *,
    actor: Actor,
    float_fen: int,
    idempotency_key: str,
    terminal_id: int | None = None,
) -> Shift:
    """Open the actor's shift at the store they work at, with ``float_fen`` in the drawer."""
    require(actor, Perm.SALE_CREATE, store_id=actor.store_id, check_store=True)
    staff = _staff_of(actor)
    store_id = _store_of(actor)
    float_fen = _clean_float(float_fen)
    if actor.terminal is not None:
        terminal_id = actor.terminal.pk

    def perform() -> Shift:
        with transaction.atomic():
            checked_terminal = _check_terminal(terminal_id, store_id)
            _lock_cashier(staff.pk)
            return _open(
                actor,
                staff=staff,
                store_id=store_id,
                terminal_id=checked_terminal,
                float_fen=float_fen,
                previous=None,
                now=timezone.now(),
            )

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="shift_open",
        payload={"float_fen": float_fen, "terminal_id": terminal_id},
        perform=perform,
        load=shift_load,
        store_id=store_id,
    )


def shift_load(shift_id: int) -> Shift:
    shift = (
        Shift.objects.select_related("store", "terminal", "cashier", "closed_by", "previous")
        .filter(pk=shift_id)
        .first()
    )
    if shift is None:
        raise NotFound(_("Shift not found."), code="shift_not_found")
    return shift


def _close(
    actor: Actor, *, shift_id: int, counted: dict[str, int], note: str, now: dt.datetime
) -> Shift:
    peek = Shift.objects.filter(pk=shift_id).values_list("cashier_id", "store_id").first()
    if peek is None:
        raise NotFound(_("Shift not found."), code="shift_not_found")
    cashier_id, store_id = peek
    if not actor.covers_store(store_id):
        raise PermissionDenied(
            _("This store is outside your scope."),
            code="store_forbidden",
            details={"store_id": store_id},
        )
    if actor.staff is None or (actor.staff.pk != cashier_id and not actor.has(Perm.REPORT_VIEW)):
        raise PermissionDenied(
            _("Only the cashier or a manager may close this shift."), code="not_your_shift"
        )
    _lock_cashier(cashier_id)
    shift = Shift.objects.select_for_update().get(pk=shift_id)
    if shift.status != Shift.Status.OPEN:
        raise Conflict(_("This shift is already closed."), code="shift_closed")
    before = shift_state(shift)
    shift.closed_at = now
    takings = shift_takings(shift)
    expected = takings.expected
    expected.setdefault(CASH, 0)
    shift.expected = expected
    shift.breakdown = {
        "sources": takings.by_source,
        "counts": takings.counts,
    }
    shift.counted = counted
    shift.cash_difference_fen = counted[CASH] - expected[CASH]
    shift.status = Shift.Status.CLOSED
    shift.closed_by = actor.staff
    shift.note = note
    shift.save(
        update_fields=[
            "closed_at",
            "expected",
            "breakdown",
            "counted",
            "cash_difference_fen",
            "status",
            "closed_by",
            "note",
        ]
    )
    audit_record(
        actor=actor,
        action="shift.closed",
        subject_type="shift",
        subject_id=shift.pk,
        before=before,
        after=shift_state(shift),
        store_id=shift.store_id,
    )
    event_emit(
        "shift.closed",
        payload={
            "shift_id": shift.pk,
            "cashier_id": shift.cashier_id,
            "expected_cash_fen": expected[CASH],
            "counted_cash_fen": counted[CASH],
            "cash_difference_fen": shift.cash_difference_fen,
        },
        store_id=shift.store_id,
    )
    return shift


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationFailed(_("At most 200 characters."), code="note_too_long", field="note")
    return note


def shift_close(
    *,
    actor: Actor,
    shift_id: int,
    counted: Mapping[str, object],
    idempotency_key: str,
    note: str = "",
) -> Shift:
    """Close a shift with the counted takings per method; the expected amounts are derived
    under the lock and written with the difference. The cashier closes their own shift; a
    manager (``report.view``) may close one at their stores."""
    require(actor, Perm.SALE_CREATE)
    cleaned = _clean_counted(counted)
    note = _clean_note(note)

    def perform() -> Shift:
        with transaction.atomic():
            return _close(actor, shift_id=shift_id, counted=cleaned, note=note, now=timezone.now())

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="shift_close",
        payload={"shift_id": shift_id, "counted": cleaned, "note": note},
        perform=perform,
        load=shift_load,
    )


def shift_handover(
    *,
    actor: Actor,
    shift_id: int,
    counted: Mapping[str, object],
    next_cashier_id: int,
    idempotency_key: str,
    note: str = "",
) -> tuple[Shift, Shift]:
    """交接班: close ``shift_id`` with the counted takings and open the next cashier's shift
    at the same store and terminal, the counted cash as its float — one transaction."""
    require(actor, Perm.SALE_CREATE)
    cleaned = _clean_counted(counted)
    note = _clean_note(note)
    nxt = Staff.objects.filter(pk=next_cashier_id, is_active=True).first()
    if nxt is None:
        raise NotFound(_("No such staff member."), code="staff_not_found", field="next_cashier_id")

    def perform() -> Shift:
        with transaction.atomic():
            now = timezone.now()
            # Both cashiers' rows, in id order, before the shift row.
            peek = Shift.objects.filter(pk=shift_id).values_list("cashier_id", flat=True).first()
            for staff_id in sorted({nxt.pk} | ({peek} if peek is not None else set())):
                _lock_cashier(staff_id)
            closed = _close(actor, shift_id=shift_id, counted=cleaned, note=note, now=now)
            allowed = nxt.store_id_set()
            if allowed is not None and closed.store_id not in allowed:
                raise ValidationFailed(
                    _("The next cashier does not work at this store."),
                    code="next_cashier_not_at_store",
                    field="next_cashier_id",
                )
            if cleaned[CASH] > MAX_FLOAT_FEN:
                raise ValidationFailed(
                    _("Enter a float from ¥0.00 to ¥100,000.00."),
                    code="invalid_float",
                    field="counted",
                )
            return _open(
                actor,
                staff=nxt,
                store_id=closed.store_id,
                terminal_id=closed.terminal_id,
                float_fen=cleaned[CASH],
                previous=closed,
                now=now,
            )

    opened = command_run(
        actor=actor,
        key=idempotency_key,
        kind="shift_handover",
        payload={
            "shift_id": shift_id,
            "counted": cleaned,
            "note": note,
            "next_cashier_id": next_cashier_id,
        },
        perform=perform,
        load=shift_load,
    )
    assert opened.previous is not None
    return shift_load(opened.previous.pk), opened
