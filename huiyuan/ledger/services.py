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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor
from huiyuan.ledger import commands
from huiyuan.ledger.errors import AlreadyReversed, InsufficientBalance
from huiyuan.ledger.models import (
    Account,
    Entry,
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
    Account.Kind.OPENING_BALANCE: Unit.FEN,
    Account.Kind.OPENING_POINTS: Unit.POINT,
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
    named_lots_only: bool = False  # take only from ``take_lots``; never from other lots
    matures_at: dt.datetime | None = None  # the lot opened is pending until then (P1)


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


# Store and system accounts are created once and never change (their balances are derived
# from entries), so their rows are remembered per process instead of looked up per sale.
_ACCOUNT_CACHE: dict[tuple[str, int | None], Account] = {}


def accounts_cache_clear() -> None:
    """Forget remembered store/system accounts (tests that roll the database back)."""
    _ACCOUNT_CACHE.clear()


def _remember(key: tuple[str, int | None], account: Account) -> None:
    """Cache once the row surely exists: after the current transaction commits."""
    transaction.on_commit(lambda: _ACCOUNT_CACHE.setdefault(key, account))


def _owned_account(kind: str, store_id: int | None) -> Account:
    """The store's (or, with no store, the chain's) account of ``kind``: remembered per
    process, created on first use, never locked afterwards."""
    cached = _ACCOUNT_CACHE.get((kind, store_id))
    if cached is not None:
        return cached
    rows = Account.objects.filter(kind=kind, store_id=store_id, card_id__isnull=True)
    account = rows.first()
    if account is None:
        try:
            with transaction.atomic():
                account = Account.objects.create(kind=kind, unit=KIND_UNIT[kind], store_id=store_id)
        except IntegrityError:  # created by a concurrent first use
            account = rows.get()
    _remember((kind, store_id), account)
    return account


def store_account(kind: str, store_id: int) -> Account:
    """The store's account of ``kind`` (takings, refunds, points issued…)."""
    return _owned_account(kind, store_id)


def system_account(kind: str) -> Account:
    """The chain's account of ``kind`` (points expired, adjustments…)."""
    return _owned_account(kind, None)


def lock_accounts(ids: Iterable[int]) -> dict[int, Account]:
    """Lock member-side accounts in id order (a fixed order: no deadlocks)."""
    wanted = sorted(set(ids))
    return {
        a.pk: a
        for a in Account.objects.select_for_update(no_key=True).filter(pk__in=wanted).order_by("pk")
    }


def _lot_order(now: dt.datetime) -> Callable[[Lot], tuple[bool, dt.datetime, int]]:
    return lambda lot: (lot.expires_at is None, lot.expires_at or now, lot.pk)


def spendable_lots(account: Account, now: dt.datetime) -> list[Lot]:
    """Lots with something left and not yet expired, oldest expiry first (no expiry last)."""
    return spendable_lots_of([account.pk], now).get(account.pk, [])


def spendable_lots_of(account_ids: Iterable[int], now: dt.datetime) -> dict[int, list[Lot]]:
    """Spendable lots of several accounts in one query, each list oldest expiry first
    (pending lots — not matured yet — are not spendable)."""
    ids = sorted(set(account_ids))
    by_account: dict[int, list[Lot]] = {pk: [] for pk in ids}
    if not ids:
        return by_account
    lots = (
        Lot.objects.filter(account_id__in=ids, remaining__gt=0)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .filter(Q(matures_at__isnull=True) | Q(matures_at__lte=now))
    )
    for lot in lots:
        by_account[lot.account_id].append(lot)
    for lot_list in by_account.values():
        lot_list.sort(key=_lot_order(now))
    return by_account


def available(
    account: Account, now: dt.datetime | None = None, lots: Sequence[Lot] | None = None
) -> int:
    """What can be spent now: the balance, less lots that expired but are not swept yet
    and lots still pending."""
    if not account.is_lotted:
        return account.balance
    now = now or timezone.now()
    if lots is None:
        lots = spendable_lots(account, now)
    return sum(lot.remaining for lot in lots)


# --------------------------------------------------------------------------- posting


@dataclass
class _Posting:
    """What one ``operation_post`` writes, gathered so that each table gets one statement."""

    now: dt.datetime
    lots: dict[int, Lot] = field(default_factory=dict)  # every lot touched, by id
    spendable: dict[int, list[Lot]] = field(default_factory=dict)  # by account id
    changed_lots: dict[int, Lot] = field(default_factory=dict)
    new_lots: list[Lot] = field(default_factory=list)
    uses: list[LotUse] = field(default_factory=list)

    def register(self, lot: Lot) -> Lot:
        return self.lots.setdefault(lot.pk, lot)

    def spendable_for(self, account: Account) -> list[Lot]:
        """The account's lots that can be spent now, oldest expiry first — including lots
        that were empty in the database but got something back earlier in this posting
        (a reversal restores a lot, then takes back from the same account)."""
        if account.pk not in self.spendable:
            self.spendable[account.pk] = [
                self.register(lot) for lot in spendable_lots(account, self.now)
            ]
        listed = {lot.pk for lot in self.spendable[account.pk]}
        restored = [
            lot
            for lot in self.lots.values()
            if lot.account_id == account.pk
            and lot.pk not in listed
            and lot.remaining > 0
            and (lot.expires_at is None or lot.expires_at > self.now)
            and not lot.is_pending(self.now)
        ]
        if restored:
            self.spendable[account.pk] = sorted(
                [*self.spendable[account.pk], *restored], key=_lot_order(self.now)
            )
        return self.spendable[account.pk]


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
    locked: dict[str, Account] | None = None,
    lots: dict[int, list[Lot]] | None = None,
) -> PostResult:
    """Write one operation and its transfers; must run inside the caller's transaction.

    ``locked`` are member-side accounts the caller already locked (``card_lock``); any
    other member-side account is locked here in id order. ``lots`` are spendable lots
    the caller already loaded under that lock (``spendable_lots_of``).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("operation_post() must run inside a transaction")
    now = now or timezone.now()
    moves = [m for m in moves if m.amount > 0]
    held: dict[int, Account] = {a.pk: a for a in (locked or {}).values()}
    wanted = {a.pk for m in moves for a in (m.source, m.target) if a.member_side} - held.keys()
    if wanted:
        held.update(lock_accounts(wanted))
    posting = _Posting(now=now)
    for account_id, lot_list in (lots or {}).items():
        posting.spendable[account_id] = [posting.register(lot) for lot in lot_list]
    named = {lot.pk for m in moves for lot, _amount in (*m.take_lots, *m.restore_lots)}
    if named - posting.lots.keys():
        # Named lots may have been read before the lock: take their remainder now.
        for lot in Lot.objects.filter(pk__in=named - posting.lots.keys()):
            posting.register(lot)
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
    if not moves:
        return result
    for move in moves:
        source, target = (
            held.get(move.source.pk, move.source),
            held.get(move.target.pk, move.target),
        )
        if source.unit != target.unit:
            raise ValueError(f"cannot move {source.unit} into {target.unit}")
    result.transfers = Transfer.objects.bulk_create(
        [
            Transfer(
                operation=operation,
                kind=move.kind,
                from_account_id=move.source.pk,
                to_account_id=move.target.pk,
                amount=move.amount,
                reverses=move.reverses,
                created_at=now,
            )
            for move in moves
        ]
    )
    entries: list[Entry] = []
    changed_accounts: dict[int, Account] = {}
    for move, transfer in zip(moves, result.transfers, strict=True):
        source, target = (
            held.get(move.source.pk, move.source),
            held.get(move.target.pk, move.target),
        )
        if source.member_side:
            _debit(source, transfer, move, posting)
            changed_accounts[source.pk] = source
        if target.member_side:
            _credit(target, transfer, move, posting)
            changed_accounts[target.pk] = target
        for account, delta in ((source, -move.amount), (target, move.amount)):
            entries.append(
                Entry(
                    transfer=transfer,
                    account_id=account.pk,
                    delta=delta,
                    balance_after=account.balance if account.member_side else None,
                    member_id=member_id if account.member_side else None,
                    created_at=now,
                )
            )
    Entry.objects.bulk_create(entries)
    if posting.changed_lots:
        Lot.objects.bulk_update(list(posting.changed_lots.values()), ["remaining"])
    if posting.new_lots:
        Lot.objects.bulk_create(posting.new_lots)
    if posting.uses:
        LotUse.objects.bulk_create(posting.uses)
    if len(changed_accounts) == 1:
        (account,) = changed_accounts.values()
        Account.objects.filter(pk=account.pk).update(balance=account.balance)
    elif changed_accounts:
        Account.objects.bulk_update(list(changed_accounts.values()), ["balance"])
    return result


def _debit(account: Account, transfer: Transfer, move: Move, posting: _Posting) -> None:
    amount = move.amount
    if not account.is_lotted:
        if account.balance < amount:
            raise InsufficientBalance(account.kind, amount, account.balance)
        account.balance -= amount
        return
    plan: list[tuple[Lot, int]] = []
    left = amount
    named_ids = set()
    for named, wanted in move.take_lots:
        lot = posting.lots[named.pk]
        take = min(wanted, lot.remaining, left)
        if take > 0:
            plan.append((lot, take))
            left -= take
        named_ids.add(lot.pk)
    if left > 0 and not move.named_lots_only:
        for lot in posting.spendable_for(account):
            if lot.pk in named_ids or lot.remaining <= 0:
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
        posting.changed_lots[lot.pk] = lot
        posting.uses.append(LotUse(lot_id=lot.pk, transfer=transfer, amount=take))
    account.balance -= amount


def _credit(account: Account, transfer: Transfer, move: Move, posting: _Posting) -> None:
    account.balance += move.amount
    if not account.is_lotted:
        return
    if move.restore_lots:
        given = 0
        for named, amount in move.restore_lots:
            lot = posting.lots[named.pk]
            lot.remaining += amount
            posting.changed_lots[lot.pk] = lot
            posting.uses.append(LotUse(lot_id=lot.pk, transfer=transfer, amount=-amount))
            given += amount
        if given != move.amount:
            raise ValueError("restored lots do not add up to the moved amount")
        return
    lot = Lot(
        account_id=account.pk,
        source=transfer,
        amount=move.amount,
        remaining=move.amount,
        expires_at=move.expires_at,
        store_id=move.lot_store_id,
        source_kind=move.kind,
        created_at=posting.now,
        matures_at=move.matures_at,
    )
    posting.new_lots.append(lot)


EXPIRED_SINK: dict[str, str] = {
    Account.Kind.POINTS: Account.Kind.POINTS_EXPIRED,
    Account.Kind.BONUS: Account.Kind.BONUS_EXPIRED,
}


def operation_reverse(
    *,
    actor: Actor,
    operation_id: int,
    kind: str,
    memo: str = "",
    store_id: int | None = None,
    now: dt.datetime | None = None,
    locked: dict[str, Account] | None = None,
    exact_lots: bool = False,
) -> PostResult:
    """Undo an operation leg for leg: lots get back exactly what was taken from them, and
    what the operation credited is taken back from the lots it opened. Refused twice.

    Of a lot the operation opened, the part that has since expired is not taken again
    from the member: it went to the expiry account, and comes back from there. The part
    that was spent is taken from the member's other lots — or, with ``exact_lots``
    (revoking a grant), the reversal is refused. Run it under the card's lock.
    """
    original = Operation.objects.select_for_update().filter(pk=operation_id).first()
    if original is None:
        raise NotFound("operation not found", code="operation_not_found")
    if Operation.objects.filter(reverses=original).exists():
        raise AlreadyReversed()
    transfers = list(
        original.transfers.select_related("from_account", "to_account")
        .prefetch_related("lot_uses__lot", "lots")
        .order_by("pk")
    )
    opened = [lot for t in transfers for lot in t.lots.all()]
    expired: dict[int, int] = {}
    if opened:
        expired = {
            row["lot_id"]: row["amount"]
            for row in LotUse.objects.filter(lot__in=opened, transfer__kind="expire")
            .values("lot_id")
            .annotate(amount=Sum("amount"))
        }
    give_back: list[Move] = []
    take_back: list[Move] = []
    for t in transfers:
        amount = t.amount
        lapsed = 0
        if t.to_account.member_side and t.to_account.is_lotted:
            lapsed = sum(expired.get(lot.pk, 0) for lot in t.lots.all())
            amount -= lapsed
        move = Move(
            kind=f"reverse_{t.kind}"[:30],
            source=t.to_account,
            target=t.from_account,
            amount=amount,
            reverses=t,
            named_lots_only=exact_lots,
        )
        if t.from_account.member_side and t.from_account.is_lotted:
            move.restore_lots = [
                (use.lot, use.amount) for use in t.lot_uses.all() if use.amount > 0
            ]
        if t.to_account.member_side and t.to_account.is_lotted:
            move.take_lots = [(lot, lot.amount) for lot in t.lots.all()]
        (give_back if t.from_account.member_side else take_back).append(move)
        if lapsed:
            take_back.append(
                Move(
                    kind=f"reverse_{t.kind}_expired"[:30],
                    source=system_account(EXPIRED_SINK[t.to_account.kind]),
                    target=t.from_account,
                    amount=lapsed,
                )
            )
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
                locked=locked,
            )
    except IntegrityError as exc:  # a concurrent reversal won the one-to-one
        raise AlreadyReversed() from exc


# ----------------------------------------------------------------------- idempotency

# Commands that may be retried go through ``huiyuan.ledger.commands.command_run``.
actor_scope = commands.actor_scope
