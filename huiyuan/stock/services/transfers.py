"""Transfers between stores (调拨): sent → in transit → received, with differences.

Sending takes the goods out of the source store at once (``transfer_out``; never below
zero, whatever the sales policy) and the transfer is in transit. Receiving puts what arrived
into the destination (``transfer_in``); the difference (sent − received) stays on the
transfer's lines: lost or broken on the way (> 0), or more than was sent (< 0).

Scope: the sender acts for the source store (a store manager sends from their stores to
any store of the chain); the receiver acts for the destination store (only someone there
counts what arrived); chain-wide roles may do both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.ledger.commands import command_run
from huiyuan.stock.models import Movement, Transfer, TransferLine
from huiyuan.stock.services.common import (
    check_lines,
    clean_note,
    clean_quantity,
    duplicate_product,
    is_int,
    stock_products,
    store_in_scope,
)
from huiyuan.stock.services.levels import Delta, insufficient, levels_lock, movements_post
from huiyuan.stores.models import Store


@dataclass(frozen=True)
class TransferLineInput:
    product_id: int
    quantity_milli: int


def transfer_send(
    *,
    actor: Actor,
    from_store_id: int,
    to_store_id: int,
    lines: Sequence[TransferLineInput],
    note: str = "",
    idempotency_key: str,
) -> Transfer:
    """Send goods to another store of the chain: out of the source now, in transit."""
    source = store_in_scope(actor, from_store_id, Perm.STOCK_MANAGE, field="from_store_id")
    target = Store.objects.filter(pk=to_store_id).first() if is_int(to_store_id) else None
    if target is None or not target.is_active:
        raise NotFound(_("Unknown store."), code="unknown_store", field="to_store_id")
    if target.pk == source.pk:
        raise ValidationFailed(
            _("Choose another store to send to."), code="same_store", field="to_store_id"
        )
    note_text = clean_note(note)
    check_lines(len(lines))
    seen: set[int] = set()
    for line in lines:
        if line.product_id in seen:
            raise duplicate_product(line.product_id)
        seen.add(line.product_id)

    def perform() -> Transfer:
        products = stock_products([line.product_id for line in lines], track=False)
        wanted = [
            (
                products[line.product_id],
                clean_quantity(line.quantity_milli, products[line.product_id]),
            )
            for line in lines
        ]
        levels = levels_lock([(source.pk, product.pk) for product, _q in wanted])
        for product, quantity in wanted:  # decided on the locked rows
            on_hand = levels[(source.pk, product.pk)].on_hand_milli
            if on_hand < quantity:
                raise insufficient(
                    product_name=product.name,
                    on_hand_milli=on_hand,
                    wanted_milli=quantity,
                    details={"product_id": product.pk, "store_id": source.pk},
                )
        now = timezone.now()
        transfer = Transfer.objects.create(
            from_store=source, to_store=target, note=note_text, sent_by=actor.staff, sent_at=now
        )
        TransferLine.objects.bulk_create(
            TransferLine(transfer=transfer, product=product, sent_milli=quantity)
            for product, quantity in wanted
        )
        movements_post(
            actor=actor,
            now=now,
            levels=levels,
            deltas=[
                Delta(
                    store_id=source.pk,
                    product_id=product.pk,
                    quantity_milli=-quantity,
                    kind=Movement.Kind.TRANSFER_OUT,
                    reason=note_text,
                    reference=f"transfer:{transfer.pk}",
                    document_kind="transfer",
                    document_id=transfer.pk,
                )
                for product, quantity in wanted
            ],
        )
        audit_record(
            actor=actor,
            action="stock.transfer_sent",
            subject_type="stock_transfer",
            subject_id=transfer.pk,
            after={"to_store_id": target.pk, "lines": [[p.pk, q] for p, q in wanted]},
            note=note_text,
            store_id=source.pk,
        )
        return transfer

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="stock_transfer_send",
        payload={
            "from_store_id": source.pk,
            "to_store_id": target.pk,
            "lines": [[line.product_id, line.quantity_milli] for line in lines],
            "note": note_text,
        },
        perform=perform,
        load=lambda pk: Transfer.objects.get(pk=pk),
        store_id=source.pk,
    )


def _locked_in_transit(actor: Actor, transfer_id: object) -> Transfer:
    require(actor, Perm.STOCK_MANAGE)
    if not isinstance(transfer_id, int) or isinstance(transfer_id, bool):
        raise NotFound(_("Unknown transfer."), code="unknown_transfer")
    qs = Transfer.objects.filter(pk=transfer_id)
    qs = (
        qs.select_for_update(no_key=True, of=("self",))
        if connection.vendor == "postgresql"
        else qs.select_for_update()
    )
    transfer = qs.first()
    if transfer is None:
        raise NotFound(_("Unknown transfer."), code="unknown_transfer")
    require(actor, Perm.STOCK_MANAGE, store_id=transfer.to_store_id, check_store=True)
    if transfer.status != Transfer.Status.IN_TRANSIT:
        raise Conflict(_("This transfer was already received."), code="transfer_received")
    return transfer


def transfer_receive(
    *,
    actor: Actor,
    transfer_id: int,
    received: Mapping[int, int] | None = None,
    note: str = "",
    idempotency_key: str,
) -> Transfer:
    """Receive a transfer at its destination: ``received`` per product (left out: as sent)."""
    note_text = clean_note(note)
    given = dict(received or {})

    def perform() -> Transfer:
        transfer = _locked_in_transit(actor, transfer_id)
        lines = list(
            TransferLine.objects.filter(transfer=transfer)
            .select_related("product")
            .order_by("product_id")
        )
        by_product = {line.product_id: line for line in lines}
        unknown = [pid for pid in given if pid not in by_product]
        if unknown:
            raise NotFound(
                _("This product is not part of the transfer."),
                code="unknown_product",
                field="received",
                details={"product_id": unknown[0]},
            )
        for line in lines:
            quantity = given.get(line.product_id, line.sent_milli)
            line.received_milli = clean_quantity(
                quantity, line.product, field="received", allow_zero=True
            )
            line.difference_milli = line.sent_milli - line.received_milli
        now = timezone.now()
        store_id = transfer.to_store_id
        movements_post(
            actor=actor,
            now=now,
            levels=levels_lock([(store_id, line.product_id) for line in lines]),
            deltas=[
                Delta(
                    store_id=store_id,
                    product_id=line.product_id,
                    quantity_milli=line.received_milli or 0,
                    kind=Movement.Kind.TRANSFER_IN,
                    reason=note_text,
                    reference=f"transfer:{transfer.pk}",
                    document_kind="transfer",
                    document_id=transfer.pk,
                )
                for line in lines
            ],
        )
        TransferLine.objects.bulk_update(lines, ["received_milli", "difference_milli"])
        transfer.status = Transfer.Status.RECEIVED
        transfer.received_by = actor.staff
        transfer.received_at = now
        transfer.receive_note = note_text
        transfer.save(update_fields=["status", "received_by", "received_at", "receive_note"])
        audit_record(
            actor=actor,
            action="stock.transfer_received",
            subject_type="stock_transfer",
            subject_id=transfer.pk,
            after={
                "received": {str(line.product_id): line.received_milli for line in lines},
                "differences": {
                    str(line.product_id): line.difference_milli
                    for line in lines
                    if line.difference_milli
                },
            },
            note=note_text,
            store_id=store_id,
        )
        return transfer

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="stock_transfer_receive",
        payload={
            "transfer_id": transfer_id,
            "received": sorted([pid, q] for pid, q in given.items()),
            "note": note_text,
        },
        perform=perform,
        load=lambda pk: Transfer.objects.get(pk=pk),
    )
