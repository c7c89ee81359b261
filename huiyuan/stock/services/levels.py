"""The one place stock changes: lock the levels, decide, post the movements.

Invariant: ``StockLevel.on_hand_milli`` equals the sum of its movements' quantities, and each
movement's ``balance_after_milli`` is the on-hand right after it. Both hold because the only
writer is ``movements_post``, which runs inside the caller's transaction with the levels it
changes locked by ``levels_lock`` — in (store id, product id) order, after any card lock
the caller holds (a sale takes the card's lock first) — so two writers of one level are
serialised and every decision ("is there enough?") is made on the locked row.

A level row is created the first time a (store, product) is touched, by an INSERT that
ignores a twin (so two first movements racing do not collide), then locked like any other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import Conflict
from huiyuan.core.permissions import Actor
from huiyuan.stock.models import Movement, StockLevel

Pair = tuple[int, int]  # (store id, product id)


@dataclass(frozen=True)
class Delta:
    """One movement to post: a signed quantity of a product at a store, and why."""

    store_id: int
    product_id: int
    quantity_milli: int
    kind: str
    unit_cost_fen: int | None = None
    cost_fen: int | None = None
    supplier: str = ""
    reason: str = ""
    reference: str = ""
    sale_line_id: int | None = None
    document_kind: str = ""
    document_id: int | None = None


def _lock_kwargs() -> dict[str, object]:
    # FOR NO KEY UPDATE: movements referencing nothing here, but keep the lock the weakest
    # that still serialises writers of the row.
    if connection.vendor == "postgresql":
        return {"no_key": True, "of": ("self",)}
    return {}


def _where(pairs: Iterable[Pair]) -> Q:
    by_store: dict[int, set[int]] = {}
    for store_id, product_id in pairs:
        by_store.setdefault(store_id, set()).add(product_id)
    where = Q(pk__in=[])
    for store_id, products in by_store.items():
        where |= Q(store_id=store_id, product_id__in=products)
    return where


def levels_lock(pairs: Iterable[Pair]) -> dict[Pair, StockLevel]:
    """Lock the level of every (store, product), creating missing rows at 0; in order."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("levels_lock() must run inside the movement's transaction")
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    locked = _locked(wanted)
    missing = [pair for pair in wanted if pair not in locked]
    if missing:
        StockLevel.objects.bulk_create(
            [StockLevel(store_id=s, product_id=p) for s, p in missing], ignore_conflicts=True
        )
        locked.update(_locked(missing))
    return locked


def _locked(pairs: Sequence[Pair]) -> dict[Pair, StockLevel]:
    rows = (
        StockLevel.objects.select_for_update(**_lock_kwargs())  # type: ignore[arg-type]
        .filter(_where(pairs))
        .order_by("store_id", "product_id")
    )
    return {(row.store_id, row.product_id): row for row in rows}


def insufficient(
    *, product_name: str, on_hand_milli: int, wanted_milli: int, details: dict[str, object]
) -> Conflict:
    return Conflict(
        _("Not enough stock of %(name)s: %(on_hand)s on hand, %(wanted)s wanted.")
        % {
            "name": product_name,
            "on_hand": milli_text(on_hand_milli),
            "wanted": milli_text(wanted_milli),
        },
        code="stock_insufficient",
        details={"on_hand_milli": on_hand_milli, "wanted_milli": wanted_milli, **details},
    )


def milli_text(milli: int) -> str:
    """2000 → "2", 1500 → "1.5", -250 → "-0.25"."""
    sign = "-" if milli < 0 else ""
    whole, rest = divmod(abs(milli), 1000)
    return f"{sign}{whole}.{rest:03d}".rstrip("0") if rest else f"{sign}{whole}"


def movements_post(
    *,
    actor: Actor,
    deltas: Sequence[Delta],
    now: dt.datetime,
    levels: dict[Pair, StockLevel] | None = None,
) -> list[Movement]:
    """Write ``deltas`` as movements, in order, and move the levels with them.

    ``levels`` are the rows the caller locked (and decided on); any level not among them
    is locked here. Zero deltas are skipped.
    """
    deltas = [d for d in deltas if d.quantity_milli != 0]
    if not deltas:
        return []
    pairs = {(d.store_id, d.product_id) for d in deltas}
    held = dict(levels or {})
    if not pairs <= held.keys():
        held.update(levels_lock(pairs - held.keys()))
    rows = []
    for delta in deltas:
        level = held[(delta.store_id, delta.product_id)]
        level.on_hand_milli += delta.quantity_milli
        rows.append(
            Movement(
                store_id=delta.store_id,
                product_id=delta.product_id,
                kind=delta.kind,
                quantity_milli=delta.quantity_milli,
                balance_after_milli=level.on_hand_milli,
                unit_cost_fen=delta.unit_cost_fen,
                cost_fen=delta.cost_fen,
                supplier=delta.supplier[:60],
                reason=delta.reason[:200],
                reference=delta.reference[:60],
                sale_line_id=delta.sale_line_id,
                document_kind=delta.document_kind,
                document_id=delta.document_id,
                actor=actor.staff,
                actor_label=actor.label[:60],
                created_at=now,
            )
        )
    changed = [held[pair] for pair in sorted(pairs)]
    for level in changed:
        level.updated_at = now
    StockLevel.objects.bulk_update(changed, ["on_hand_milli", "updated_at"])
    return Movement.objects.bulk_create(rows)
