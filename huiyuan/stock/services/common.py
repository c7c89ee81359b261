"""What the stock services share: who acts at which store, which products, what quantity."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.catalog.models import Product
from huiyuan.catalog.services.common import clean_text
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.stock.models import StockItem
from huiyuan.stores.models import Store

MAX_QUANTITY_MILLI = 1_000_000_000  # a million units
MAX_UNIT_COST_FEN = 100_000_000
MAX_LINES = 500
REASON_MAX = 200
NOTE_MAX = 200
SUPPLIER_MAX = 60


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def store_in_scope(actor: Actor, store_id: object, perm: Perm, *, field: str = "store_id") -> Store:
    """The store ``actor`` acts at with ``perm``: it exists, is open, and is theirs."""
    require(actor, perm)
    store = (
        Store.objects.filter(pk=store_id).first()
        if is_int(store_id) and isinstance(store_id, int)
        else None
    )
    if store is None:
        raise NotFound(_("Unknown store."), code="unknown_store", field=field)
    require(actor, perm, store_id=store.pk, check_store=True)
    if not store.is_active:
        raise Conflict(_("This store is closed."), code="store_inactive", field=field)
    return store


def clean_quantity(
    value: object, product: Product, *, field: str = "quantity_milli", allow_zero: bool = False
) -> int:
    """A quantity in thousandths of the product's unit: whole units unless divisible."""
    low = 0 if allow_zero else 1
    if not is_int(value) or not low <= value <= MAX_QUANTITY_MILLI:  # type: ignore[operator]
        raise ValidationFailed(
            _("Enter a quantity above zero.") if not allow_zero else _("Enter a quantity."),
            code="invalid_quantity",
            field=field,
            details={"product_id": product.pk},
        )
    assert isinstance(value, int)
    if not product.divisible and value % 1000:
        raise ValidationFailed(
            _("%(name)s is counted in whole units.") % {"name": product.name},
            code="fractional_quantity",
            field=field,
            details={"product_id": product.pk},
        )
    return value


def clean_signed_quantity(value: object, product: Product) -> int:
    if not is_int(value) or value == 0:
        raise ValidationFailed(
            _("Enter a quantity other than zero."), code="invalid_quantity", field="quantity_milli"
        )
    assert isinstance(value, int)
    clean_quantity(abs(value), product)
    return value


def clean_reason(value: object) -> str:
    return clean_text(value, field="reason", max_length=REASON_MAX)


def clean_note(value: object) -> str:
    return clean_text(value, field="note", max_length=NOTE_MAX, required=False)


def stock_products(product_ids: Iterable[object], *, track: bool = True) -> dict[int, Product]:
    """The products by id, each a stock-kept product (not a bundle, not untracked on purpose).

    ``track``: a product without a stock row becomes tracked (goods received are counted
    from then on); otherwise it is refused as not tracked.
    """
    ids = list(product_ids)
    if not all(is_int(i) for i in ids):
        raise NotFound(_("Unknown product."), code="unknown_product", field="product_id")
    products = {p.pk: p for p in Product.objects.filter(pk__in=ids)}
    for product_id in ids:
        product = products.get(product_id)  # type: ignore[call-overload]
        if product is None:
            raise NotFound(
                _("Unknown product."),
                code="unknown_product",
                field="product_id",
                details={"product_id": product_id},
            )
        if product.is_bundle:
            raise Conflict(
                _("%(name)s is a bundle: its items are kept in stock, not the bundle.")
                % {"name": product.name},
                code="bundle_not_stocked",
                field="product_id",
                details={"product_id": product.pk},
            )
    items = dict(
        StockItem.objects.filter(product_id__in=products).values_list("product_id", "tracked")
    )
    untracked = [pid for pid, tracked in items.items() if not tracked]
    if untracked:
        product = products[untracked[0]]
        raise Conflict(
            _("Stock is not kept for %(name)s.") % {"name": product.name},
            code="product_not_tracked",
            field="product_id",
            details={"product_id": product.pk},
        )
    new = [pid for pid in products if pid not in items]
    if new and not track:
        product = products[new[0]]
        raise Conflict(
            _("Stock is not kept for %(name)s.") % {"name": product.name},
            code="product_not_tracked",
            field="product_id",
            details={"product_id": product.pk},
        )
    if new:
        now = timezone.now()
        StockItem.objects.bulk_create(
            [
                StockItem(product_id=pid, tracked=True, created_at=now, updated_at=now)
                for pid in new
            ],
            ignore_conflicts=True,
        )
    return products


def check_lines(count: int) -> None:
    if count == 0:
        raise ValidationFailed(_("Add at least one product."), code="lines_required", field="lines")
    if count > MAX_LINES:
        raise ValidationFailed(
            _("At most %(max)s lines.") % {"max": MAX_LINES}, code="too_many_lines", field="lines"
        )


def duplicate_product(product_id: int) -> ValidationFailed:
    return ValidationFailed(
        _("A product appears twice."),
        code="duplicate_product",
        field="lines",
        details={"product_id": product_id},
    )
