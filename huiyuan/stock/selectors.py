"""Reads of stock, each limited to the stores in the actor's view (``stores_in_view``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from huiyuan.catalog.models import Product
from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.stock.models import (
    Movement,
    Purchase,
    StockItem,
    StockLevel,
    Stocktake,
    StocktakeLine,
    Transfer,
    TransferLine,
)
from huiyuan.stores.scope import stores_in_view


def _in_view(actor: Actor, store_id: int | None) -> frozenset[int] | None:
    require(actor, Perm.STOCK_VIEW)
    return stores_in_view(actor, store_id)


def level_list(
    *, actor: Actor, store_id: int | None = None, query: str = "", low_only: bool = False
) -> QuerySet[StockLevel]:
    """On hand per store and tracked product; ``low_only``: at or below the reorder point."""
    stores = _in_view(actor, store_id)
    qs = StockLevel.objects.select_related("store", "product").filter(
        product_id__in=StockItem.objects.filter(tracked=True).values("product_id")
    )
    if stores is not None:
        qs = qs.filter(store_id__in=stores)
    text = query.strip()
    if text:
        qs = qs.filter(
            Q(product__name__icontains=text)
            | Q(product__initials__startswith=text.lower())
            | Q(product__sku__istartswith=text)
            | Q(product__barcode__startswith=text)
        )
    if low_only:
        qs = qs.filter(
            reorder_point_milli__isnull=False, on_hand_milli__lte=F("reorder_point_milli")
        )
    return qs.order_by("store__code", "product__sku")


def low_stock(*, actor: Actor, store_id: int) -> list[StockLevel]:
    """The store's low-stock list (缺货预警): tracked products at or below their reorder point."""
    return list(level_list(actor=actor, store_id=store_id, low_only=True))


def movement_list(
    *,
    actor: Actor,
    store_id: int | None = None,
    product_id: int | None = None,
    kind: str = "",
) -> QuerySet[Movement]:
    stores = _in_view(actor, store_id)
    qs = Movement.objects.select_related("store", "product")
    if stores is not None:
        qs = qs.filter(store_id__in=stores)
    if product_id is not None:
        qs = qs.filter(product_id=product_id)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-id")


def purchase_list(*, actor: Actor, store_id: int | None = None) -> QuerySet[Purchase]:
    stores = _in_view(actor, store_id)
    qs = Purchase.objects.select_related("store", "created_by")
    return qs.filter(store_id__in=stores) if stores is not None else qs


def purchase_get(*, actor: Actor, purchase_id: int) -> Purchase:
    purchase = purchase_list(actor=actor).filter(pk=purchase_id).first()
    if purchase is None:
        raise NotFound(_("Unknown purchase."), code="unknown_purchase")
    return purchase


def stocktake_list(*, actor: Actor, store_id: int | None = None) -> QuerySet[Stocktake]:
    stores = _in_view(actor, store_id)
    qs = Stocktake.objects.select_related("store", "created_by", "posted_by")
    return qs.filter(store_id__in=stores) if stores is not None else qs


def stocktake_get(*, actor: Actor, stocktake_id: int) -> Stocktake:
    stocktake = stocktake_list(actor=actor).filter(pk=stocktake_id).first()
    if stocktake is None:
        raise NotFound(_("Unknown stocktake."), code="unknown_stocktake")
    return stocktake


def stocktake_lines(stocktake: Stocktake) -> list[StocktakeLine]:
    return list(
        StocktakeLine.objects.filter(stocktake=stocktake)
        .select_related("product")
        .order_by("product__sku")
    )


def transfer_list(
    *, actor: Actor, store_id: int | None = None, status: str = ""
) -> QuerySet[Transfer]:
    """Transfers from or to the stores in view."""
    stores = _in_view(actor, store_id)
    qs = Transfer.objects.select_related("from_store", "to_store", "sent_by", "received_by")
    if stores is not None:
        qs = qs.filter(Q(from_store_id__in=stores) | Q(to_store_id__in=stores))
    if status:
        qs = qs.filter(status=status)
    return qs


def transfer_get(*, actor: Actor, transfer_id: int) -> Transfer:
    transfer = transfer_list(actor=actor).filter(pk=transfer_id).first()
    if transfer is None:
        raise NotFound(_("Unknown transfer."), code="unknown_transfer")
    return transfer


def transfer_lines(transfer: Transfer) -> list[TransferLine]:
    return list(
        TransferLine.objects.filter(transfer=transfer)
        .select_related("product")
        .order_by("product__sku")
    )


@dataclass(frozen=True)
class TrackedProduct:
    product: Product
    tracked: bool | None  # None: no stock row (not tracked)


def tracked_products(*, actor: Actor, query: str = "") -> list[TrackedProduct]:
    """Products (bundles excepted) with whether their stock is kept."""
    require(actor, Perm.STOCK_VIEW)
    qs = Product.objects.exclude(kind=Product.Kind.BUNDLE).order_by("sku")
    text = query.strip()
    if text:
        qs = qs.filter(
            Q(name__icontains=text)
            | Q(initials__startswith=text.lower())
            | Q(sku__istartswith=text)
            | Q(barcode__startswith=text)
        )
    products = list(qs[:500])
    flags = dict(
        StockItem.objects.filter(product_id__in=[p.pk for p in products]).values_list(
            "product_id", "tracked"
        )
    )
    return [TrackedProduct(p, flags.get(p.pk)) for p in products]
