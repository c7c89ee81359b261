"""What is kept in stock and how a sale treats a shortfall: tracked products, the
selling-below-zero policy (chain, and a store's own), and reorder points."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.catalog.models import Product
from huiyuan.core.errors import NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.stock.models import BelowZero, StockItem, StockLevel, StockPolicy, StoreStockPolicy
from huiyuan.stock.services.common import (
    MAX_QUANTITY_MILLI,
    is_int,
    stock_products,
    store_in_scope,
)
from huiyuan.stock.services.levels import levels_lock
from huiyuan.stores.models import Store


def below_zero_policy(store_id: int) -> str:
    """The policy in force at a store: its own, else the chain's, else allow."""
    own = (
        StoreStockPolicy.objects.filter(store_id=store_id)
        .values_list("below_zero", flat=True)
        .first()
    )
    if own:
        return own
    chain = StockPolicy.objects.filter(pk=1).values_list("below_zero", flat=True).first()
    return chain or BelowZero.ALLOW


def _clean_policy(value: object, *, allow_inherit: bool) -> str | None:
    if value is None and allow_inherit:
        return None
    if value not in BelowZero.values:
        raise ValidationFailed(
            _("Choose allow or refuse."), code="invalid_policy", field="below_zero"
        )
    return str(value)


def stock_policy_set(*, actor: Actor, below_zero: str | None, store_id: int | None = None) -> str:
    """Set the chain's policy, or (``store_id``) a store's own; ``None`` returns a store to
    the chain's policy and the chain to the default (allow). Returns the policy now in
    force there."""
    require(actor, Perm.STOCK_CONFIGURE)
    value = _clean_policy(below_zero, allow_inherit=True)
    now = timezone.now()
    with transaction.atomic():
        if store_id is None:
            before: str | None = below_zero_policy_chain()
            if value is None:  # back to the default
                StockPolicy.objects.filter(pk=1).delete()
            else:
                StockPolicy.objects.update_or_create(
                    pk=1, defaults={"below_zero": value, "updated_at": now}
                )
            subject: object = "chain"
        else:
            if not is_int(store_id) or not Store.objects.filter(pk=store_id).exists():
                raise NotFound(_("Unknown store."), code="unknown_store", field="store_id")
            own = StoreStockPolicy.objects.filter(store_id=store_id).first()
            before = own.below_zero if own else None
            if value is None:
                StoreStockPolicy.objects.filter(store_id=store_id).delete()
            else:
                StoreStockPolicy.objects.update_or_create(
                    store_id=store_id, defaults={"below_zero": value, "updated_at": now}
                )
            subject = store_id
        audit_record(
            actor=actor,
            action="stock.policy_updated",
            subject_type="stock_policy",
            subject_id=subject,
            before={"below_zero": before},
            after={"below_zero": value},
            store_id=store_id,
        )
    return below_zero_policy(store_id) if store_id is not None else below_zero_policy_chain()


def below_zero_policy_chain() -> str:
    chain = StockPolicy.objects.filter(pk=1).values_list("below_zero", flat=True).first()
    return chain or BelowZero.ALLOW


def stock_item_set(*, actor: Actor, product_id: int, tracked: bool) -> StockItem:
    """Keep (or stop keeping) stock of a product. Its movements and levels stay."""
    require(actor, Perm.STOCK_CONFIGURE)
    if not isinstance(tracked, bool):
        raise ValidationFailed(_("Choose yes or no."), code="invalid_flag", field="tracked")
    product = Product.objects.filter(pk=product_id).first() if is_int(product_id) else None
    if product is None:
        raise NotFound(_("Unknown product."), code="unknown_product", field="product_id")
    if product.is_bundle and tracked:
        stock_products([product.pk])  # refuses with bundle_not_stocked
    now = timezone.now()
    with transaction.atomic():
        item = StockItem.objects.select_for_update().filter(product=product).first()
        before = item.tracked if item else None
        if item is None:
            item = StockItem.objects.create(
                product=product, tracked=tracked, created_at=now, updated_at=now
            )
        elif item.tracked != tracked:
            item.tracked = tracked
            item.updated_at = now
            item.save(update_fields=["tracked", "updated_at"])
        audit_record(
            actor=actor,
            action="stock.item_updated",
            subject_type="product",
            subject_id=product.pk,
            before={"tracked": before},
            after={"tracked": tracked},
        )
    return item


def reorder_point_set(
    *, actor: Actor, store_id: int, product_id: int, reorder_point_milli: int | None
) -> StockLevel:
    """The quantity at or below which a product shows on the store's low-stock list."""
    store = store_in_scope(actor, store_id, Perm.STOCK_MANAGE)
    if reorder_point_milli is not None and (
        not is_int(reorder_point_milli) or not 0 <= reorder_point_milli <= MAX_QUANTITY_MILLI
    ):
        raise ValidationFailed(
            _("Enter a quantity, zero or more."),
            code="invalid_quantity",
            field="reorder_point_milli",
        )
    with transaction.atomic():
        product = stock_products([product_id])[product_id]
        level = levels_lock([(store.pk, product.pk)])[(store.pk, product.pk)]
        before = level.reorder_point_milli
        level.reorder_point_milli = reorder_point_milli
        level.save(update_fields=["reorder_point_milli"])
        audit_record(
            actor=actor,
            action="stock.reorder_point_set",
            subject_type="product",
            subject_id=product.pk,
            before={"reorder_point_milli": before},
            after={"reorder_point_milli": reorder_point_milli},
            store_id=store.pk,
        )
    return level
