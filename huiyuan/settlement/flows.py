"""Whose money a card spends: a pure walk over the ledger's transfers (no database).

Every fen on a card's principal (or bonus) account is attributed to the store that put it
there — the store whose account the credit came from (a recharge: the store's funding
account; a return or reversal: the store's sales account, which gives the money back).
Spending takes the oldest fen first (FIFO). When store *t* is paid with fen that store *f*
holds (``f`` ≠ ``t``), ``f`` owes ``t`` that amount; a refund paid out at store *r* is the
same (``r`` paid cash out for money ``f`` received). Moves between cards (a reissue) carry
their attribution along. See docs/settlement.md.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

PRINCIPAL = "principal"
BONUS = "bonus"


@dataclass(frozen=True)
class Leg:
    """One side of a transfer: a card's account, a store's account, or a system account."""

    account_id: int
    kind: str
    card_id: int | None
    store_id: int | None

    @property
    def is_card(self) -> bool:
        return self.card_id is not None


@dataclass(frozen=True)
class Flow:
    """A transfer as the walk needs it."""

    transfer_id: int
    at: dt.datetime
    source: Leg
    target: Leg
    amount: int


@dataclass
class StoreFigures:
    recharged_fen: int = 0  # principal received from members (recharges, card batch sales)
    spent_principal_fen: int = 0  # principal spent at the store, less returns and reversals
    spent_bonus_fen: int = 0  # bonus spent at the store, less returns and reversals
    refunded_fen: int = 0  # principal paid back to members at the store
    receivable_fen: int = 0  # other stores owe it
    payable_fen: int = 0  # it owes other stores

    @property
    def net_fen(self) -> int:
        """Positive: the store is owed; negative: it owes."""
        return self.receivable_fen - self.payable_fen


@dataclass
class Settlement:
    stores: dict[int, StoreFigures] = field(default_factory=lambda: defaultdict(StoreFigures))
    # (debtor store, creditor store) → {"principal": fen, "bonus": fen}
    pairs: dict[tuple[int, int], dict[str, int]] = field(default_factory=dict)
    unattributed_fen: int = 0  # spent from value no store put there (should stay 0)

    def owe(self, debtor: int, creditor: int, kind: str, amount: int) -> None:
        pair = self.pairs.setdefault((debtor, creditor), {PRINCIPAL: 0, BONUS: 0})
        pair[kind] += amount
        self.stores[debtor].payable_fen += amount
        self.stores[creditor].receivable_fen += amount


# Store accounts a debit to which is a delivery the paying store must be reimbursed for.
SETTLED_TARGETS = {
    PRINCIPAL: frozenset({"store_sales", "store_refunds"}),
    BONUS: frozenset({"store_sales"}),
}


def _take(layers: deque[list[int | None]], amount: int) -> list[tuple[int | None, int]]:
    """Take ``amount`` oldest first; a shortfall (never expected) is unattributed."""
    taken: list[tuple[int | None, int]] = []
    while amount > 0 and layers:
        layer = layers[0]
        store_id, left = layer[0], int(layer[1] or 0)
        part = min(left, amount)
        taken.append((store_id, part))
        amount -= part
        if part == left:
            layers.popleft()
        else:
            layer[1] = left - part
    if amount > 0:
        taken.append((None, amount))
    return taken


def settle(flows: Iterable[Flow], *, start: dt.datetime, end: dt.datetime) -> Settlement:
    """Walk every flow in ledger order (all history up to ``end``); count in the result
    what happened in ``[start, end)``."""
    result = Settlement()
    layers: dict[int, deque[list[int | None]]] = defaultdict(deque)
    for flow in flows:
        if flow.at >= end:
            continue
        counted = flow.at >= start
        source, target, amount = flow.source, flow.target, flow.amount
        if target.is_card and not source.is_card:
            layers[target.account_id].append([source.store_id, amount])
            if counted and source.store_id is not None:
                figures = result.stores[source.store_id]
                if target.kind == PRINCIPAL and source.kind == "store_funding":
                    figures.recharged_fen += amount
                elif source.kind == "store_sales":
                    if target.kind == PRINCIPAL:
                        figures.spent_principal_fen -= amount
                    else:
                        figures.spent_bonus_fen -= amount
            continue
        if not source.is_card:
            continue  # neither side is a card
        taken = _take(layers[source.account_id], amount)
        if target.is_card:
            layers[target.account_id].extend([s, a] for s, a in taken)
            continue
        store_id = target.store_id
        if store_id is None or target.kind not in SETTLED_TARGETS.get(source.kind, frozenset()):
            continue  # expiry, clawback, voids: value leaves without a delivery
        if not counted:
            continue
        figures = result.stores[store_id]
        if target.kind == "store_refunds":
            figures.refunded_fen += amount
        elif source.kind == PRINCIPAL:
            figures.spent_principal_fen += amount
        else:
            figures.spent_bonus_fen += amount
        for owner, part in taken:
            if owner is None:
                result.unattributed_fen += part
            elif owner != store_id:
                result.owe(owner, store_id, source.kind, part)
    return result
