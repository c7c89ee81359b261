"""Bundles (套餐): what one bundle holds. The bundle is sold at its own price; the pricing
engine shares that price out to the items by their own prices for the receipt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.catalog.models import BundleItem, Product
from huiyuan.core.errors import NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require

MILLI = 1000
MAX_ITEMS = 20
MAX_QUANTITY_MILLI = 1_000_000  # 1,000 units of an item in one bundle


@dataclass(frozen=True)
class BundleItemInput:
    product_id: int
    quantity_milli: int  # per bundle, in thousandths of the item's unit


def _invalid(message: str | Promise, code: str, index: int | None = None) -> ValidationFailed:
    return ValidationFailed(
        message, code=code, field="items", details={"index": index} if index is not None else None
    )


def bundle_set_items(
    *, actor: Actor, bundle_id: int, items: Sequence[BundleItemInput]
) -> list[BundleItem]:
    """Replace what the bundle holds with ``items`` (in this order)."""
    require(actor, Perm.CATALOG_MANAGE)
    if not items:
        raise _invalid(_("A bundle holds at least one product."), "bundle_empty")
    if len(items) > MAX_ITEMS:
        raise _invalid(
            _("A bundle holds at most %(max)s products.") % {"max": MAX_ITEMS}, "bundle_too_large"
        )
    seen: set[int] = set()
    for index, entry in enumerate(items):
        pid, qty = entry.product_id, entry.quantity_milli
        if isinstance(pid, bool) or not isinstance(pid, int):
            raise _invalid(_("Unknown product."), "unknown_product", index)
        if isinstance(qty, bool) or not isinstance(qty, int) or not 0 < qty <= MAX_QUANTITY_MILLI:
            raise _invalid(
                _("Enter a quantity above zero (at most 1,000)."), "invalid_quantity", index
            )
        if pid in seen:
            raise _invalid(_("A product appears twice in the bundle."), "duplicate_item", index)
        seen.add(pid)
    with transaction.atomic():
        bundle = Product.objects.select_for_update().filter(pk=bundle_id).first()
        if bundle is None:
            raise NotFound(_("Product not found."), code="product_not_found")
        if not bundle.is_bundle:
            raise ValidationFailed(
                _("This product is not a bundle."), code="not_a_bundle", field="bundle_id"
            )
        products = Product.objects.in_bulk(list(seen))
        for index, entry in enumerate(items):
            item = products.get(entry.product_id)
            if item is None:
                raise _invalid(_("Unknown product."), "unknown_product", index)
            if item.pk == bundle.pk or item.is_bundle:
                raise _invalid(
                    _("A bundle holds products, not other bundles."), "nested_bundle", index
                )
            if not item.is_active:
                raise _invalid(
                    _("%(name)s is delisted.") % {"name": item.name}, "product_delisted", index
                )
            if not item.divisible and entry.quantity_milli % MILLI:
                raise _invalid(
                    _("%(name)s is sold in whole units.") % {"name": item.name},
                    "fractional_quantity",
                    index,
                )
        current = list(BundleItem.objects.filter(bundle=bundle).select_related("item"))
        before = [[c.item.sku, c.quantity_milli] for c in current]
        after = [[products[e.product_id].sku, e.quantity_milli] for e in items]
        if before == after:
            return current
        BundleItem.objects.filter(bundle=bundle).delete()
        rows = BundleItem.objects.bulk_create(
            [
                BundleItem(
                    bundle=bundle,
                    item=products[e.product_id],
                    quantity_milli=e.quantity_milli,
                    position=position,
                )
                for position, e in enumerate(items)
            ]
        )
        audit_record(
            actor=actor,
            action="catalog.bundle_items_set",
            subject_type="product",
            subject_id=bundle.pk,
            before={"items": before},
            after={"items": after},
        )
    return rows
