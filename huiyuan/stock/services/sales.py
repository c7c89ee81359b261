"""Stock at checkout (through ``checkout.hooks``): sale-out, return-in, and the shortfall
warning or refusal.

What moves: every line with a stock-tracked product — a bundle by its components
(``SaleLine.components``), a quick (amount-only) line never. A return puts back what came
back (a bundle's components in proportion, exact once the whole line is back); a reversal
puts back everything the sale took out and no return has put back yet. Both are derived
from the sale's own movements, so a product that was not tracked when sold is never
"returned" into stock.

The shortfall is decided at completion on the locked levels (after the card's lock): under
the store's ``refuse`` policy the sale is refused (``stock_insufficient``) and nothing is
written; under ``allow`` it goes through, on-hand may fall below zero, and the sale carries
a ``stock.insufficient`` note per short line — as the quote does beforehand.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from huiyuan.audit.services import audit_record
from huiyuan.checkout import hooks
from huiyuan.checkout.models import SaleLine
from huiyuan.stock.models import BelowZero, Movement, StockItem, StockLevel
from huiyuan.stock.services.config import below_zero_policy
from huiyuan.stock.services.levels import Delta, insufficient, levels_lock, movements_post

NOTE_CODE = "stock.insufficient"
Part = tuple[int, int, str]  # product id, quantity, name


@dataclass(frozen=True)
class _Decided:
    """What ``quote_notes`` found and locked at completion, for ``sale_completed`` of the
    same attempt (same thread, store and moment): the tracked products and their levels."""

    store_id: int
    now: dt.datetime
    tracked: frozenset[int]
    levels: dict[tuple[int, int], StockLevel]


_handoff = threading.local()


def _parts(product_id: int | None, quantity_milli: int, name: str, components: Any) -> list[Part]:
    if components:
        return [
            (int(_get(c, "product_id")), int(_get(c, "quantity_milli")), str(_get(c, "name")))
            for c in components
        ]
    if product_id:
        return [(product_id, quantity_milli, name)]
    return []  # a quick (amount-only) line


def _get(component: Any, key: str) -> Any:
    return component[key] if isinstance(component, Mapping) else getattr(component, key)


def _tracked(product_ids: Iterable[int]) -> set[int]:
    ids = set(product_ids)
    if not ids:
        return set()
    return set(
        StockItem.objects.filter(product_id__in=ids, tracked=True).values_list(
            "product_id", flat=True
        )
    )


def sale_stock_notes(context: hooks.QuoteContext) -> list[hooks.Note]:
    """A "库存不足" note per line short of stock; at completion, under ``refuse``, the sale
    is refused instead (decided on the locked levels)."""
    lines = [
        (line.line_id, _parts(line.product_id, line.quantity_milli, line.name, line.components))
        for line in context.lines
    ]
    tracked = _tracked(pid for _id, parts in lines for pid, _q, _n in parts)
    if context.completing:
        _handoff.decided = None
    if not tracked:
        if context.completing:
            _handoff.decided = _Decided(context.store_id, context.now, frozenset(), {})
        return []
    wanted: dict[int, int] = defaultdict(int)
    names: dict[int, str] = {}
    for _id, parts in lines:
        for pid, quantity, name in parts:
            if pid in tracked:
                wanted[pid] += quantity
                names.setdefault(pid, name)
    store_id = context.store_id
    if context.completing:
        levels = levels_lock([(store_id, pid) for pid in wanted])
        on_hand = {pid: levels[(store_id, pid)].on_hand_milli for pid in wanted}
        decided = _Decided(store_id, context.now, frozenset(tracked), levels)
    else:
        on_hand = dict(
            StockLevel.objects.filter(store_id=store_id, product_id__in=wanted).values_list(
                "product_id", "on_hand_milli"
            )
        )
    short = {pid for pid, quantity in wanted.items() if on_hand.get(pid, 0) < quantity}
    refuse = bool(short) and context.completing and below_zero_policy(store_id) == BelowZero.REFUSE
    if context.completing and not refuse:
        _handoff.decided = decided  # decided on the locked levels: the sale may go through
    if not short:
        return []
    if refuse:
        pid = min(short, key=lambda p: list(wanted).index(p))
        raise insufficient(
            product_name=names[pid],
            on_hand_milli=on_hand.get(pid, 0),
            wanted_milli=wanted[pid],
            details={"product_id": pid, "store_id": store_id},
        )
    notes = []
    for line_id, parts in lines:
        for pid, _q, name in parts:
            if pid in short:
                notes.append(
                    hooks.Note(
                        code=NOTE_CODE,
                        message=_("Not enough stock: %(name)s") % {"name": name},
                        line_id=line_id,
                        params={
                            "product_id": pid,
                            "on_hand_milli": on_hand.get(pid, 0),
                            "wanted_milli": wanted[pid],
                        },
                    )
                )
                break
    return notes


def stock_sale_out(done: hooks.SaleDone) -> None:
    """Take every tracked product of the sale out of the store's stock."""
    parts = [
        (line, _parts(line.product_id, line.quantity_milli, line.name, line.components))
        for line in done.lines
    ]
    store_id = done.sale.store_id
    decided: _Decided | None = getattr(_handoff, "decided", None)
    _handoff.decided = None
    if decided is not None and (decided.store_id, decided.now) != (store_id, done.now):
        decided = None
    tracked = (
        set(decided.tracked)
        if decided is not None
        else _tracked(pid for _line, ps in parts for pid, _q, _n in ps)
    )
    if not tracked:
        return
    names = {pid: name for _line, ps in parts for pid, _q, name in ps}
    deltas = [
        Delta(
            store_id=store_id,
            product_id=pid,
            quantity_milli=-quantity,
            kind=Movement.Kind.SALE_OUT,
            reference=f"sale:{done.sale.number}",
            sale_line_id=line.pk,
        )
        for line, ps in parts
        for pid, quantity, _name in ps
        if pid in tracked
    ]
    if decided is not None:  # locked and decided by ``sale_stock_notes`` at completion
        movements = movements_post(
            actor=done.actor, deltas=deltas, now=done.now, levels=decided.levels
        )
        _audit(done.actor, "stock.sale_out", done.sale.pk, movements, store_id)
        return
    levels = levels_lock([(store_id, d.product_id) for d in deltas])
    if below_zero_policy(store_id) == BelowZero.REFUSE:
        wanted: dict[int, int] = defaultdict(int)
        for delta in deltas:
            wanted[delta.product_id] -= delta.quantity_milli
        for pid, quantity in wanted.items():
            on_hand = levels[(store_id, pid)].on_hand_milli
            if on_hand < quantity:
                raise insufficient(
                    product_name=names[pid],
                    on_hand_milli=on_hand,
                    wanted_milli=quantity,
                    details={"product_id": pid, "store_id": store_id},
                )
    movements = movements_post(actor=done.actor, deltas=deltas, now=done.now, levels=levels)
    _audit(done.actor, "stock.sale_out", done.sale.pk, movements, store_id)


def _still_out(line_ids: Sequence[int]) -> dict[tuple[int, int], tuple[int, int]]:
    """Per (sale line, product): what the sale took out, and what came back since."""
    rows = (
        Movement.objects.filter(sale_line_id__in=line_ids)
        .values("sale_line_id", "product_id", "kind")
        .annotate(total=Sum("quantity_milli"))
    )
    out: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        key = (row["sale_line_id"], row["product_id"])
        if row["kind"] == Movement.Kind.SALE_OUT:
            out[key][0] -= row["total"]
        elif row["kind"] == Movement.Kind.RETURN_IN:
            out[key][1] += row["total"]
    return {key: (taken, back) for key, (taken, back) in out.items()}


def stock_return_in(done: hooks.ReturnDone) -> None:
    """Put back what a return brought back, at the store that took it."""
    moved = _still_out([line.pk for line, _row in done.lines])
    if not moved:
        return
    store_id = done.sale_return.store_id
    deltas = []
    for line, row in done.lines:
        for pid, quantity, _name in _parts(
            line.product_id, line.quantity_milli, line.name, line.components
        ):
            taken, back = moved.get((line.pk, pid), (0, 0))
            if not taken:
                continue
            if line.components:  # in proportion of the line returned so far
                target = min(taken, quantity * line.returned_milli // line.quantity_milli)
                if line.returned_milli >= line.quantity_milli:
                    target = taken
                amount = target - back
            else:
                amount = min(row.quantity_milli, taken - back)
            if amount > 0:
                deltas.append(_return_delta(store_id, pid, amount, line, done.sale_return.number))
    movements = movements_post(actor=done.actor, deltas=deltas, now=done.now)
    if movements:
        _audit(done.actor, "stock.return_in", done.sale.pk, movements, store_id)


def stock_reversal_in(done: hooks.ReversalDone) -> None:
    """Put back everything the reversed sale still had out."""
    lines: Sequence[SaleLine] = done.lines
    moved = _still_out([line.pk for line in lines])
    store_id = done.sale.store_id
    deltas = [
        _return_delta(store_id, pid, taken - back, line, done.sale.number)
        for line in lines
        for (line_id, pid), (taken, back) in sorted(moved.items())
        if line_id == line.pk and taken > back
    ]
    movements = movements_post(actor=done.actor, deltas=deltas, now=done.now)
    if movements:
        _audit(done.actor, "stock.reversal_in", done.sale.pk, movements, store_id)


def _return_delta(store_id: int, pid: int, amount: int, line: SaleLine, number: str) -> Delta:
    return Delta(
        store_id=store_id,
        product_id=pid,
        quantity_milli=amount,
        kind=Movement.Kind.RETURN_IN,
        reference=f"sale:{number}"[:60],
        sale_line_id=line.pk,
    )


def _audit(actor: Any, action: str, sale_id: int, movements: list[Movement], store_id: int) -> None:
    audit_record(
        actor=actor,
        action=action,
        subject_type="sale",
        subject_id=sale_id,
        after={"movements": [[m.product_id, m.quantity_milli] for m in movements]},
        store_id=store_id,
    )
