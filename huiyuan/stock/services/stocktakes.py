"""Stocktake (盘点): expected quantities when the count begins, counted ones entered, and
the variance (counted − expected) posted as movements.

The expected quantity is the on-hand when the stocktake is created: counting starts then.
Sales, returns and receipts during the count still move the stock; posting adds the
variance to whatever is on hand at posting, so they are not undone. A line left uncounted
posts nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.ledger.commands import command_run
from huiyuan.stock.models import Movement, StockItem, StockLevel, Stocktake, StocktakeLine
from huiyuan.stock.services.common import (
    MAX_LINES,
    clean_note,
    clean_quantity,
    stock_products,
    store_in_scope,
)
from huiyuan.stock.services.levels import Delta, levels_lock, movements_post


def _locked(actor: Actor, stocktake_id: object) -> Stocktake:
    require(actor, Perm.STOCK_MANAGE)
    if not isinstance(stocktake_id, int) or isinstance(stocktake_id, bool):
        raise NotFound(_("Unknown stocktake."), code="unknown_stocktake")
    qs = Stocktake.objects.filter(pk=stocktake_id)
    if connection.vendor == "postgresql":
        qs = qs.select_for_update(no_key=True, of=("self",))
    else:
        qs = qs.select_for_update()
    stocktake = qs.first()
    if stocktake is None:
        raise NotFound(_("Unknown stocktake."), code="unknown_stocktake")
    require(actor, Perm.STOCK_MANAGE, store_id=stocktake.store_id, check_store=True)
    if stocktake.status != Stocktake.Status.COUNTING:
        raise Conflict(
            _("This stocktake is already closed."),
            code="stocktake_closed",
            details={"status": stocktake.status},
        )
    return stocktake


def stocktake_create(
    *,
    actor: Actor,
    store_id: int,
    product_ids: Sequence[int] | None = None,
    note: str = "",
    idempotency_key: str,
) -> Stocktake:
    """Start counting a store: every tracked product (or those named), with the on-hand now
    as the expected quantity."""
    store = store_in_scope(actor, store_id, Perm.STOCK_MANAGE)
    note_text = clean_note(note)
    if product_ids is not None and len(product_ids) > MAX_LINES:
        raise ValidationFailed(
            _("At most %(max)s lines.") % {"max": MAX_LINES}, code="too_many_lines"
        )

    def perform() -> Stocktake:
        if product_ids is None:
            ids = sorted(
                StockItem.objects.filter(tracked=True).values_list("product_id", flat=True)
            )
        else:
            ids = sorted(set(product_ids))
            stock_products(ids, track=False)
        if not ids:
            raise Conflict(
                _("No product is kept in stock yet."), code="nothing_to_count", field="product_ids"
            )
        levels = levels_lock([(store.pk, pid) for pid in ids])
        now = timezone.now()
        stocktake = Stocktake.objects.create(
            store=store, note=note_text, created_by=actor.staff, created_at=now
        )
        StocktakeLine.objects.bulk_create(
            StocktakeLine(
                stocktake=stocktake,
                product_id=pid,
                expected_milli=levels[(store.pk, pid)].on_hand_milli,
            )
            for pid in ids
        )
        audit_record(
            actor=actor,
            action="stock.stocktake_created",
            subject_type="stocktake",
            subject_id=stocktake.pk,
            after={"products": len(ids)},
            note=note_text,
            store_id=store.pk,
        )
        return stocktake

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="stocktake_create",
        payload={
            "store_id": store.pk,
            "products": sorted(product_ids) if product_ids is not None else None,
            "note": note_text,
        },
        perform=perform,
        load=lambda pk: Stocktake.objects.get(pk=pk),
        store_id=store.pk,
    )


def stocktake_count(
    *, actor: Actor, stocktake_id: int, counts: Mapping[int, int | None]
) -> Stocktake:
    """Enter counted quantities (None clears one). Setting a count twice is harmless."""
    with transaction.atomic():
        stocktake = _locked(actor, stocktake_id)
        lines = {
            line.product_id: line
            for line in StocktakeLine.objects.filter(stocktake=stocktake).select_related("product")
        }
        changed = []
        for product_id, counted in counts.items():
            line = lines.get(product_id)
            if line is None:
                raise NotFound(
                    _("This product is not part of the stocktake."),
                    code="unknown_product",
                    field="product_id",
                    details={"product_id": product_id},
                )
            value = (
                None
                if counted is None
                else clean_quantity(counted, line.product, field="counted_milli", allow_zero=True)
            )
            if value != line.counted_milli:
                line.counted_milli = value
                changed.append(line)
        StocktakeLine.objects.bulk_update(changed, ["counted_milli"])
        if changed:
            audit_record(
                actor=actor,
                action="stock.stocktake_counted",
                subject_type="stocktake",
                subject_id=stocktake.pk,
                after={"counts": {str(line.product_id): line.counted_milli for line in changed}},
                store_id=stocktake.store_id,
            )
        return stocktake


def stocktake_post(*, actor: Actor, stocktake_id: int, idempotency_key: str) -> Stocktake:
    """Post the variance of every counted line (盘盈 +, 盘亏 −) and close the stocktake."""

    def perform() -> Stocktake:
        stocktake = _locked(actor, stocktake_id)
        lines = list(StocktakeLine.objects.filter(stocktake=stocktake).order_by("product_id"))
        counted = [line for line in lines if line.counted_milli is not None]
        if not counted:
            raise Conflict(_("Enter at least one counted quantity."), code="nothing_counted")
        for line in counted:
            assert line.counted_milli is not None
            line.variance_milli = line.counted_milli - line.expected_milli
        now = timezone.now()
        movements_post(
            actor=actor,
            now=now,
            levels=levels_lock([(stocktake.store_id, line.product_id) for line in counted]),
            deltas=[
                Delta(
                    store_id=stocktake.store_id,
                    product_id=line.product_id,
                    quantity_milli=line.variance_milli or 0,
                    kind=Movement.Kind.STOCKTAKE,
                    reason=stocktake.note,
                    reference=f"stocktake:{stocktake.pk}",
                    document_kind="stocktake",
                    document_id=stocktake.pk,
                )
                for line in counted
            ],
        )
        StocktakeLine.objects.bulk_update(counted, ["variance_milli"])
        stocktake.status = Stocktake.Status.POSTED
        stocktake.posted_by = actor.staff
        stocktake.posted_at = now
        stocktake.save(update_fields=["status", "posted_by", "posted_at"])
        audit_record(
            actor=actor,
            action="stock.stocktake_posted",
            subject_type="stocktake",
            subject_id=stocktake.pk,
            after={
                "variances": {
                    str(line.product_id): line.variance_milli
                    for line in counted
                    if line.variance_milli
                },
                "counted": len(counted),
                "uncounted": len(lines) - len(counted),
            },
            store_id=stocktake.store_id,
        )
        return stocktake

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="stocktake_post",
        payload={"stocktake_id": stocktake_id},
        perform=perform,
        load=lambda pk: Stocktake.objects.get(pk=pk),
    )


def stocktake_cancel(*, actor: Actor, stocktake_id: int) -> Stocktake:
    """Drop a stocktake not yet posted: nothing moves."""
    with transaction.atomic():
        stocktake = _locked(actor, stocktake_id)
        stocktake.status = Stocktake.Status.CANCELLED
        stocktake.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="stock.stocktake_cancelled",
            subject_type="stocktake",
            subject_id=stocktake.pk,
            store_id=stocktake.store_id,
        )
        return stocktake


def expected_now(stocktake: Stocktake) -> dict[int, int]:
    """The on-hand now of the stocktake's products (for the page, not for posting)."""
    ids = StocktakeLine.objects.filter(stocktake=stocktake).values_list("product_id", flat=True)
    return dict(
        StockLevel.objects.filter(store_id=stocktake.store_id, product_id__in=ids).values_list(
            "product_id", "on_hand_milli"
        )
    )
