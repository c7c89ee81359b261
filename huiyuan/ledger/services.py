"""Post operations to the ledger: lock, then decide, then write — in one transaction.

Lock order, everywhere: the member row, then the card row, then the card's accounts by id,
then the member's tier state. Taking them in this order is what keeps a sale, a recharge
and a reissue on the same card from deadlocking.

Callers (wallet, points, checkout, cards) build a list of ``Move``s and call
``operation_post`` inside ``transaction.atomic()``. Member-side accounts are locked in id
order before any balance is read; a move that would take an account below zero raises
``InsufficientBalance`` and the whole operation rolls back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from huiyuan.core.permissions import Actor
from huiyuan.ledger.errors import AlreadyReversed, IdempotencyConflict, InsufficientBalance
from huiyuan.ledger.models import (
    Account,
    Entry,
    IdempotencyKey,
    Lot,
    LotUse,
    Operation,
    Transfer,
    Unit,
)

KIND_UNIT: dict[str, str] = {
    Account.Kind.PRINCIPAL: Unit.FEN,
    Account.Kind.BONUS: Unit.FEN,
    Account.Kind.POINTS: Unit.POINT,
    Account.Kind.STORE_FUNDING: Unit.FEN,
    Account.Kind.STORE_SALES: Unit.FEN,
    Account.Kind.STORE_REFUNDS: Unit.FEN,
    Account.Kind.STORE_BONUS: Unit.FEN,
    Account.Kind.STORE_POINTS_ISSUED: Unit.POINT,
    Account.Kind.STORE_POINTS_REDEEMED: Unit.POINT,
    Account.Kind.POINTS_EXPIRED: Unit.POINT,
    Account.Kind.BONUS_EXPIRED: Unit.FEN,
    Account.Kind.POINTS_ADJUSTMENTS: Unit.POINT,
}


@dataclass
class Move:
    """Move ``amount`` from ``source`` to ``target``.

    Debiting a lotted member account consumes lots oldest-expiry first, unless
    ``take_lots`` names the lots (and how much of each) to take first. Crediting one opens a
    new lot expiring at ``expires_at``, unless ``restore_lots`` names the lots to give back to.
    """

    kind: str
    source: Account
    target: Account
    amount: int
    expires_at: dt.datetime | None = None
    take_lots: Sequence[tuple[Lot, int]] = ()
    restore_lots: Sequence[tuple[Lot, int]] = ()
    reverses: Transfer | None = None
    lot_store_id: int | None = None


@dataclass
class PostResult:
    operation: Operation
    transfers: list[Transfer] = field(default_factory=list)


# ---------------------------------------------------------------------------- accounts


def card_accounts_create(*, card_id: int) -> dict[str, Account]:
    """Open a card's principal, bonus and points accounts."""
    return {
        kind: Account.objects.create(
            kind=kind, unit=KIND_UNIT[kind], card_id=card_id, member_side=True
        )
        for kind in Account.MEMBER_KINDS
    }


def card_accounts(card_id: int) -> dict[str, Account]:
    return {a.kind: a for a in Account.objects.filter(card_id=card_id)}


def store_account(kind: str, store_id: int) -> Account:
    """The store's account of ``kind``; created on first use (never locked afterwards)."""
    account = Account.objects.filter(kind=kind, store_id=store_id, card_id__isnull=True).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(kind=kind, unit=KIND_UNIT[kind], store_id=store_id)
    except IntegrityError:
        return Account.objects.get(kind=kind, store_id=store_id, card_id__isnull=True)


def system_account(kind: str) -> Account:
    account = Account.objects.filter(kind=kind, store_id__isnull=True, card_id__isnull=True).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(kind=kind, unit=KIND_UNIT[kind])
    except IntegrityError:
        return Account.objects.get(kind=kind, store_id__isnull=True, card_id__isnull=True)


def lock_accounts(ids: Iterable[int]) -> dict[int, Account]:
    """Lock member-side accounts in id order (a fixed order: no deadlocks)."""
    wanted = sorted(set(ids))
    return {
        a.pk: a for a in Account.objects.select_for_update().filter(pk__in=wanted).order_by("pk")
    }


def spendable_lots(account: Account, now: dt.datetime) -> list[Lot]:
    """Lots with something left and not yet expired, oldest expiry first (no expiry last)."""
    lots = Lot.objects.filter(account=account, remaining__gt=0).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    return sorted(lots, key=lambda lot: (lot.expires_at is None, lot.expires_at or now, lot.pk))


def available(account: Account, now: dt.datetime | None = None) -> int:
    """What can be spent now: the balance, less lots that expired but are not swept yet."""
    if not account.is_lotted:
        return account.balance
    now = now or timezone.now()
    return sum(lot.remaining for lot in spendable_lots(account, now))


# --------------------------------------------------------------------------- posting


def operation_post(
    *,
    actor: Actor,
    kind: str,
    moves: Sequence[Move],
    member_id: int | None,
    card_id: int | None,
    store_id: int | None,
    reverses: Operation | None = None,
    memo: str = "",
    details: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> PostResult:
    """Write one operation and its transfers; must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("operation_post() must run inside a transaction")
    now = now or timezone.now()
    member_ids = {a.pk for m in moves for a in (m.source, m.target) if a.member_side}
    locked = lock_accounts(member_ids)
    operation = Operation.objects.create(
        kind=kind,
        member_id=member_id,
        card_id=card_id,
        store_id=store_id,
        operator=actor.staff,
        terminal_id=actor.terminal.pk if actor.terminal else None,
        reverses=reverses,
        memo=memo[:200],
        details=details or {},
        created_at=now,
    )
    result = PostResult(operation=operation)
    entries: list[Entry] = []
    for move in moves:
        if move.amount <= 0:
            continue
        source = locked.get(move.source.pk, move.source)
        target = locked.get(move.target.pk, move.target)
        if source.unit != target.unit:
            raise ValueError(f"cannot move {source.unit} into {target.unit}")
        transfer = Transfer.objects.create(
            operation=operation,
            kind=move.kind,
            from_account=source,
            to_account=target,
            amount=move.amount,
            reverses=move.reverses,
            created_at=now,
        )
        result.transfers.append(transfer)
        if source.member_side:
            _debit(source, transfer, move, now)
        if target.member_side:
            _credit(target, transfer, move, now)
        for account, delta in ((source, -move.amount), (target, move.amount)):
            entries.append(
                Entry(
                    transfer=transfer,
                    account=account,
                    delta=delta,
                    balance_after=account.balance if account.member_side else None,
                    member_id=member_id if account.member_side else None,
                    created_at=now,
                )
            )
    Entry.objects.bulk_create(entries)
    for account in locked.values():
        Account.objects.filter(pk=account.pk).update(balance=account.balance)
    return result


def _debit(account: Account, transfer: Transfer, move: Move, now: dt.datetime) -> None:
    amount = move.amount
    if not account.is_lotted:
        if account.balance < amount:
            raise InsufficientBalance(account.kind, amount, account.balance)
        account.balance -= amount
        return
    plan: list[tuple[Lot, int]] = []
    left = amount
    named_ids = set()
    for lot, wanted in move.take_lots:
        lot.refresh_from_db(fields=["remaining"])
        take = min(wanted, lot.remaining, left)
        if take > 0:
            plan.append((lot, take))
            left -= take
        named_ids.add(lot.pk)
    if left > 0:
        for lot in spendable_lots(account, now):
            if lot.pk in named_ids:
                continue
            take = min(lot.remaining, left)
            plan.append((lot, take))
            left -= take
            if left == 0:
                break
    if left > 0:
        raise InsufficientBalance(account.kind, amount, amount - left)
    for lot, take in plan:
        lot.remaining -= take
        Lot.objects.filter(pk=lot.pk).update(remaining=lot.remaining)
    LotUse.objects.bulk_create(
        [LotUse(lot=lot, transfer=transfer, amount=take) for lot, take in plan]
    )
    account.balance -= amount


def _credit(account: Account, transfer: Transfer, move: Move, now: dt.datetime) -> None:
    account.balance += move.amount
    if not account.is_lotted:
        return
    if move.restore_lots:
        given = 0
        for lot, amount in move.restore_lots:
            lot.refresh_from_db(fields=["remaining"])
            lot.remaining += amount
            Lot.objects.filter(pk=lot.pk).update(remaining=lot.remaining)
            LotUse.objects.create(lot=lot, transfer=transfer, amount=-amount)
            given += amount
        if given != move.amount:
            raise ValueError("restored lots do not add up to the moved amount")
        return
    Lot.objects.create(
        account=account,
        source=transfer,
        amount=move.amount,
        remaining=move.amount,
        expires_at=move.expires_at,
        store_id=move.lot_store_id,
        source_kind=move.kind,
        created_at=now,
    )


def operation_reverse(
    *,
    actor: Actor,
    operation_id: int,
    kind: str,
    memo: str = "",
    store_id: int | None = None,
    now: dt.datetime | None = None,
) -> PostResult:
    """Undo an operation leg for leg: lots get back exactly what was taken from them, and
    what the operation credited is taken back from the lots it opened. Refused twice."""
    original = Operation.objects.select_for_update().filter(pk=operation_id).first()
    if original is None:
        from huiyuan.core.errors import NotFound

        raise NotFound("operation not found", code="operation_not_found")
    if Operation.objects.filter(reverses=original).exists():
        raise AlreadyReversed()
    transfers = list(
        original.transfers.select_related("from_account", "to_account")
        .prefetch_related("lot_uses__lot", "lots")
        .order_by("pk")
    )
    give_back: list[Move] = []
    take_back: list[Move] = []
    for t in transfers:
        move = Move(
            kind=f"reverse_{t.kind}"[:30],
            source=t.to_account,
            target=t.from_account,
            amount=t.amount,
            reverses=t,
        )
        if t.from_account.member_side and t.from_account.is_lotted:
            move.restore_lots = [
                (use.lot, use.amount) for use in t.lot_uses.all() if use.amount > 0
            ]
        if t.to_account.member_side and t.to_account.is_lotted:
            move.take_lots = [(lot, lot.amount) for lot in t.lots.all()]
        (give_back if t.from_account.member_side else take_back).append(move)
    try:
        with transaction.atomic():
            return operation_post(
                actor=actor,
                kind=kind,
                moves=[*give_back, *take_back],
                member_id=original.member_id,
                card_id=original.card_id,
                store_id=store_id if store_id is not None else original.store_id,
                reverses=original,
                memo=memo,
                details={"reverses": original.pk},
                now=now,
            )
    except IntegrityError as exc:  # a concurrent reversal won the one-to-one
        raise AlreadyReversed() from exc


# ----------------------------------------------------------------------- idempotency


def _request_hash(kind: str, payload: dict[str, Any]) -> str:
    body = json.dumps({"kind": kind, **payload}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def actor_scope(actor: Actor) -> str:
    if actor.terminal is not None:
        return f"terminal:{actor.terminal.pk}"
    if actor.staff is not None:
        return f"staff:{actor.staff.pk}"
    return "system"


def run_idempotent(
    *,
    actor: Actor,
    key: str,
    kind: str,
    payload: dict[str, Any],
    perform: Callable[[], Operation],
) -> tuple[Operation, bool]:
    """Run ``perform`` once per (actor, key). Returns (operation, replayed).

    The key row is inserted first, in the same transaction as the effect: a concurrent
    duplicate blocks on the unique index until the first commits, then replays its result.
    The same key with a different request is refused.
    """
    from huiyuan.core.errors import ValidationFailed

    key = (key or "").strip()
    if not key or len(key) > 100:
        raise ValidationFailed(
            "Idempotency-Key is required (1–100 characters).", code="idempotency_key_required"
        )
    scope = actor_scope(actor)
    digest = _request_hash(kind, payload)
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(scope=scope, key=key, request_hash=digest)
        except IntegrityError:
            existing = IdempotencyKey.objects.select_related("operation").get(scope=scope, key=key)
            if existing.request_hash != digest or existing.operation is None:
                raise IdempotencyConflict() from None
            return existing.operation, True
        operation = perform()
        row.operation = operation
        row.save(update_fields=["operation"])
        return operation, False
