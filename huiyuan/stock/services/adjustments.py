"""Manual adjustment (库存调整): a signed quantity with a reason, never below zero."""

from __future__ import annotations

from django.utils import timezone

from huiyuan.audit.services import audit_record
from huiyuan.core.permissions import Actor, Perm
from huiyuan.ledger.commands import command_run
from huiyuan.stock.models import Movement
from huiyuan.stock.services.common import (
    clean_reason,
    clean_signed_quantity,
    stock_products,
    store_in_scope,
)
from huiyuan.stock.services.levels import Delta, insufficient, levels_lock, movements_post


def stock_adjust(
    *,
    actor: Actor,
    store_id: int,
    product_id: int,
    quantity_milli: int,
    reason: str,
    idempotency_key: str,
) -> Movement:
    """Add (``quantity_milli`` > 0) or take away stock by hand (breakage, samples…)."""
    store = store_in_scope(actor, store_id, Perm.STOCK_MANAGE)
    reason_text = clean_reason(reason)

    def perform() -> Movement:
        product = stock_products([product_id])[product_id]
        quantity = clean_signed_quantity(quantity_milli, product)
        levels = levels_lock([(store.pk, product.pk)])
        level = levels[(store.pk, product.pk)]
        before = level.on_hand_milli
        if before + quantity < 0:  # decided on the locked row
            raise insufficient(
                product_name=product.name,
                on_hand_milli=before,
                wanted_milli=-quantity,
                details={"product_id": product.pk, "store_id": store.pk},
            )
        (movement,) = movements_post(
            actor=actor,
            now=timezone.now(),
            levels=levels,
            deltas=[
                Delta(
                    store_id=store.pk,
                    product_id=product.pk,
                    quantity_milli=quantity,
                    kind=Movement.Kind.ADJUST,
                    reason=reason_text,
                )
            ],
        )
        audit_record(
            actor=actor,
            action="stock.adjusted",
            subject_type="stock_movement",
            subject_id=movement.pk,
            before={"product_id": product.pk, "on_hand_milli": before},
            after={"product_id": product.pk, "on_hand_milli": movement.balance_after_milli},
            note=reason_text,
            store_id=store.pk,
        )
        return movement

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="stock_adjust",
        payload={
            "store_id": store.pk,
            "product_id": product_id,
            "quantity_milli": quantity_milli,
            "reason": reason_text,
        },
        perform=perform,
        load=lambda pk: Movement.objects.get(pk=pk),
        store_id=store.pk,
    )
