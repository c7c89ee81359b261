"""Price changes: chain-wide (head office) or a store's own (its manager), now or later.

A change is published for now or a later moment, never for the past: a start before now
is refused (``effective_from_in_past``; "now" is this service's clock, with no
tolerance), like earn rules — so the price any past moment had stays what it was. A change
not yet in force may be cancelled; one in force is superseded by a new change instead.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.catalog.models import PriceChange, Product
from huiyuan.catalog.services.common import clean_price, clean_text, run_once
from huiyuan.core.clock import local_time
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.stores.models import Store

NOTE_MAX = 100


def price_change_state(change: PriceChange) -> dict[str, object]:
    return {
        "product_id": change.product_id,
        "store_id": change.store_id,
        "price_fen": change.price_fen,
        "effective_from": local_time(change.effective_from).isoformat(),
        "note": change.note,
    }


def _require_price_permission(actor: Actor, store_id: int | None) -> None:
    if store_id is None:
        require(actor, Perm.CATALOG_MANAGE)
    else:
        require(actor, Perm.CATALOG_STORE_PRICE, store_id=store_id, check_store=True)


def _check_store(store_id: object) -> None:
    if store_id is None:
        return
    if (
        isinstance(store_id, bool)
        or not isinstance(store_id, int)
        or not Store.objects.filter(pk=store_id).exists()
    ):
        raise NotFound(_("Unknown store."), code="unknown_store", field="store_id")


def _start(effective_from: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if effective_from is None:
        return now
    if not isinstance(effective_from, dt.datetime) or timezone.is_naive(effective_from):
        raise ValidationFailed(
            _("Give the moment with its time zone."),
            code="invalid_effective_from",
            field="effective_from",
        )
    if effective_from < now:
        raise ValidationFailed(
            _("A price change cannot start in the past; choose now or later."),
            code="effective_from_in_past",
            field="effective_from",
        )
    return effective_from


def _publish(
    *,
    actor: Actor,
    product_id: int,
    store_id: int | None,
    price_fen: int | None,
    start: dt.datetime,
    note: str,
    now: dt.datetime,
    action: str,
) -> PriceChange:
    with transaction.atomic():
        # The product's row orders concurrent changes of one product.
        product = Product.objects.select_for_update().filter(pk=product_id).first()
        if product is None:
            raise NotFound(_("Product not found."), code="product_not_found")
        timeline = Q(store__isnull=True) if store_id is None else Q(store_id=store_id)
        twin = PriceChange.objects.filter(
            timeline, product=product, effective_from=start, cancelled_at__isnull=True
        )
        if twin.exists():
            raise _twin()
        try:
            with transaction.atomic():
                change = PriceChange.objects.create(
                    product=product,
                    store_id=store_id,
                    price_fen=price_fen,
                    effective_from=start,
                    note=note,
                    created_by=actor.staff,
                    created_at=now,
                )
        except IntegrityError as exc:
            raise _twin() from exc
        audit_record(
            actor=actor,
            action=action,
            subject_type="product",
            subject_id=product.pk,
            after={"change_id": change.pk, **price_change_state(change)},
            store_id=store_id,
        )
    return change


def _twin() -> Conflict:
    return Conflict(
        _("A price change for this product starts at the same moment already."),
        code="price_change_exists",
        field="effective_from",
    )


def price_change_schedule(
    *,
    actor: Actor,
    product_id: int,
    price_fen: int,
    effective_from: dt.datetime | None = None,
    store_id: int | None = None,
    note: str = "",
    idempotency_key: str = "",
) -> PriceChange:
    """Publish a price from ``effective_from`` (default: now) on, chain-wide or at one store.

    A chain-wide change needs ``catalog.manage``; a store's change needs
    ``catalog.store_price`` at that store.
    """
    _require_price_permission(actor, store_id)
    price = clean_price(price_fen)
    note = clean_text(note, field="note", max_length=NOTE_MAX, required=False)
    _check_store(store_id)

    def perform() -> PriceChange:
        # Decided here, not before: a retried request finds its first result even when the
        # moment it asked for has passed since.
        now = timezone.now()
        start = _start(effective_from, now)
        return _publish(
            actor=actor,
            product_id=product_id,
            store_id=store_id,
            price_fen=price,
            start=start,
            note=note,
            now=now,
            action="catalog.price_scheduled",
        )

    return run_once(
        actor=actor,
        key=idempotency_key,
        kind="catalog_price_change",
        payload={
            "product_id": product_id,
            "store_id": store_id,
            "price_fen": price,
            # Without a start the change is "now": a replay returns the first one.
            "effective_from": effective_from.isoformat() if effective_from else None,
            "note": note,
        },
        perform=perform,
        load=lambda pk: PriceChange.objects.get(pk=pk),
    )


def store_price_set(
    *,
    actor: Actor,
    product_id: int,
    store_id: int,
    price_fen: int,
    effective_from: dt.datetime | None = None,
    note: str = "",
    idempotency_key: str = "",
) -> PriceChange:
    """Give a store its own price for a product (an override of the chain's price)."""
    if store_id is None:
        raise NotFound(_("Unknown store."), code="unknown_store", field="store_id")
    return price_change_schedule(
        actor=actor,
        product_id=product_id,
        price_fen=price_fen,
        effective_from=effective_from,
        store_id=store_id,
        note=note,
        idempotency_key=idempotency_key,
    )


def store_price_clear(
    *, actor: Actor, product_id: int, store_id: int, note: str = ""
) -> PriceChange:
    """From now on, the store follows the chain's price again."""
    from huiyuan.catalog.selectors import prices_in_force

    _require_price_permission(actor, store_id)
    if store_id is None:
        raise NotFound(_("Unknown store."), code="unknown_store", field="store_id")
    _check_store(store_id)
    note = clean_text(note, field="note", max_length=NOTE_MAX, required=False)
    now = timezone.now()
    with transaction.atomic():
        in_force = prices_in_force([product_id], store_id=store_id, at=now).get(product_id)
        if in_force is None:
            raise NotFound(_("Product not found."), code="product_not_found")
        if in_force.source != "store":
            raise Conflict(
                _("This store has no price of its own for this product."),
                code="no_store_price",
            )
        return _publish(
            actor=actor,
            product_id=product_id,
            store_id=store_id,
            price_fen=None,
            start=now,
            note=note,
            now=now,
            action="catalog.store_price_cleared",
        )


def price_change_cancel(*, actor: Actor, change_id: int, reason: str = "") -> PriceChange:
    """Withdraw a change that is not in force yet; one in force stays (publish another)."""
    reason = clean_text(reason, field="reason", max_length=NOTE_MAX * 2, required=False)
    with transaction.atomic():
        change = (
            PriceChange.objects.select_for_update().filter(pk=change_id).first()
            if isinstance(change_id, int) and not isinstance(change_id, bool)
            else None
        )
        if change is None:
            raise NotFound(_("Price change not found."), code="price_change_not_found")
        _require_price_permission(actor, change.store_id)
        now = timezone.now()
        if change.cancelled_at is not None:
            raise Conflict(
                _("This price change was cancelled already."), code="price_change_cancelled"
            )
        if change.effective_from <= now:
            raise Conflict(
                _("This price change is in force already; publish a new change instead."),
                code="price_change_in_force",
            )
        change.cancelled_at = now
        change.cancelled_by = actor.staff
        change.save(update_fields=["cancelled_at", "cancelled_by"])
        audit_record(
            actor=actor,
            action="catalog.price_cancelled",
            subject_type="product",
            subject_id=change.product_id,
            before={"change_id": change.pk, **price_change_state(change)},
            after={"change_id": change.pk, "cancelled": True},
            store_id=change.store_id,
            note=reason,
        )
    return change
