"""Purchase-in (进货): goods received at a store from a supplier, at a unit cost."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.catalog.services.common import clean_text
from huiyuan.core.errors import ValidationFailed
from huiyuan.core.permissions import Actor, Perm
from huiyuan.ledger.commands import command_run
from huiyuan.stock.models import Movement, Purchase, PurchaseLine
from huiyuan.stock.services.common import (
    MAX_UNIT_COST_FEN,
    SUPPLIER_MAX,
    check_lines,
    clean_note,
    clean_quantity,
    duplicate_product,
    is_int,
    stock_products,
    store_in_scope,
)
from huiyuan.stock.services.levels import Delta, movements_post


@dataclass(frozen=True)
class PurchaseLineInput:
    product_id: int
    quantity_milli: int
    unit_cost_fen: int  # per whole unit


def line_cost(unit_cost_fen: int, quantity_milli: int) -> int:
    """What ``quantity_milli`` cost at ``unit_cost_fen`` a unit, rounded half up to a fen."""
    return (unit_cost_fen * quantity_milli * 2 + 1000) // 2000


def _clean_cost(value: object) -> int:
    if not is_int(value) or not 0 <= value <= MAX_UNIT_COST_FEN:  # type: ignore[operator]
        raise ValidationFailed(
            _("Enter a unit cost in fen, zero or more."),
            code="invalid_unit_cost",
            field="unit_cost_fen",
        )
    assert isinstance(value, int)
    return value


def purchase_receive(
    *,
    actor: Actor,
    store_id: int,
    supplier: str,
    lines: Sequence[PurchaseLineInput],
    note: str = "",
    idempotency_key: str,
) -> Purchase:
    """Receive goods at a store (进货入库): one movement in per line, at its cost."""
    store = store_in_scope(actor, store_id, Perm.STOCK_MANAGE)
    supplier_name = clean_text(supplier, field="supplier", max_length=SUPPLIER_MAX)
    note_text = clean_note(note)
    check_lines(len(lines))
    seen: set[int] = set()
    for line in lines:
        if line.product_id in seen:
            raise duplicate_product(line.product_id)
        seen.add(line.product_id)

    def perform() -> Purchase:
        products = stock_products([line.product_id for line in lines])
        cleaned = [
            (
                products[line.product_id],
                clean_quantity(line.quantity_milli, products[line.product_id]),
                _clean_cost(line.unit_cost_fen),
            )
            for line in lines
        ]
        now = timezone.now()
        purchase = Purchase.objects.create(
            store=store,
            supplier=supplier_name,
            note=note_text,
            total_cost_fen=sum(line_cost(cost, qty) for _p, qty, cost in cleaned),
            created_by=actor.staff,
            created_at=now,
        )
        PurchaseLine.objects.bulk_create(
            PurchaseLine(
                purchase=purchase,
                product=product,
                quantity_milli=qty,
                unit_cost_fen=cost,
                cost_fen=line_cost(cost, qty),
            )
            for product, qty, cost in cleaned
        )
        movements_post(
            actor=actor,
            now=now,
            deltas=[
                Delta(
                    store_id=store.pk,
                    product_id=product.pk,
                    quantity_milli=qty,
                    kind=Movement.Kind.PURCHASE_IN,
                    unit_cost_fen=cost,
                    cost_fen=line_cost(cost, qty),
                    supplier=supplier_name,
                    reference=f"purchase:{purchase.pk}",
                    document_kind="purchase",
                    document_id=purchase.pk,
                )
                for product, qty, cost in cleaned
            ],
        )
        audit_record(
            actor=actor,
            action="stock.purchase_received",
            subject_type="stock_purchase",
            subject_id=purchase.pk,
            after={
                "supplier": supplier_name,
                "lines": [[p.pk, qty, cost] for p, qty, cost in cleaned],
                "total_cost_fen": purchase.total_cost_fen,
            },
            store_id=store.pk,
        )
        return purchase

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="stock_purchase",
        payload={
            "store_id": store.pk,
            "supplier": supplier_name,
            "note": note_text,
            "lines": [[x.product_id, x.quantity_milli, x.unit_cost_fen] for x in lines],
        },
        perform=perform,
        load=lambda pk: Purchase.objects.get(pk=pk),
        store_id=store.pk,
    )
