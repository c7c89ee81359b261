"""Catalog reads: the category tree, product search, prices in force, basket lines.

The price in force for (product, store, moment) is, in this order:

1. the store's own price: its latest change at or before the moment, unless that change
   returned the store to the chain's price (a change without a price);
2. the chain's price: the latest chain-wide change at or before the moment;
3. the product's list price.

"At or before": a change is in force from its ``effective_from`` exactly. Cancelled changes
count for nothing. ``prices_in_force`` reads this for many products in ONE query (each
product with four indexed sub-selects), and ``pricing_lines_for`` builds a whole basket's
engine input in one query, plus one when the basket holds a bundle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from huiyuan.catalog.models import UNIT_SYMBOLS, BundleItem, Category, PriceChange, Product
from huiyuan.core.errors import Conflict, NotFound
from huiyuan.pricing import BundleItem as PricingBundleItem
from huiyuan.pricing import Line
from huiyuan.stores.models import Store

SOURCE_LIST = "list"
SOURCE_CHAIN = "chain"
SOURCE_STORE = "store"


@dataclass(frozen=True)
class PriceInForce:
    product_id: int
    price_fen: int
    source: str  # "list", "chain" (a chain-wide change) or "store" (the store's own)
    change_id: int | None = None  # the PriceChange in force; None for the list price


# --------------------------------------------------------------------------- categories


def category_tree() -> list[Category]:
    """Every category, depth first (siblings by their order, then as created), each with
    ``product_count`` (its own products, not its subcategories'). One query."""
    categories = list(Category.objects.annotate(product_count=Count("products")))
    sort_of = {c.code: (c.position, c.pk) for c in categories}
    return sorted(categories, key=lambda c: [sort_of.get(code, (0, 0)) for code in c.path_codes])


def category_choices() -> list[tuple[int, str]]:
    """(id, indented name) for a form's select, in tree order."""
    return [(c.pk, f"{'　' * c.depth}{c.name}") for c in category_tree()]


def category_get(category_id: int) -> Category:
    category = Category.objects.select_related("parent").filter(pk=category_id).first()
    if category is None:
        raise NotFound(_("Unknown category."), code="unknown_category")
    return category


def category_path(category_id: int | None) -> tuple[str, ...]:
    """The category's codes from the most general to the most specific (``()`` for none)."""
    if category_id is None:
        return ()
    path = Category.objects.filter(pk=category_id).values_list("path", flat=True).first()
    if path is None:
        raise NotFound(_("Unknown category."), code="unknown_category")
    return tuple(path.split("/"))


def _in_category(category: Category) -> Q:
    """Products of the category and of every category under it."""
    return Q(category__path=category.path) | Q(category__path__startswith=f"{category.path}/")


# ----------------------------------------------------------------------------- products


def product_search(
    *,
    query: str = "",
    category_id: int | None = None,
    status: str = "",
    kind: str = "",
) -> QuerySet[Product]:
    """Products by name (or its pinyin initials), SKU or barcode, in a category's subtree."""
    qs = Product.objects.select_related("category")
    text = (query or "").strip()
    if text:
        match = Q(name__icontains=text) | Q(sku__istartswith=text) | Q(barcode__startswith=text)
        if text.isascii() and text.isalnum():
            match |= Q(initials__contains=text.lower())
        qs = qs.filter(match)
    if category_id is not None:
        category = Category.objects.filter(pk=category_id).first()
        qs = qs.filter(_in_category(category)) if category else qs.none()
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("sku")


def product_get(product_id: int) -> Product:
    product = Product.objects.select_related("category").filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("Product not found."), code="product_not_found")
    return product


def product_by_code(code: str) -> Product | None:
    """The product a scanner read: by barcode first, then by SKU (exact)."""
    text = (code or "").strip()
    if not text:
        return None
    matches = list(
        Product.objects.select_related("category").filter(Q(barcode=text) | Q(sku=text))[:2]
    )
    return next((p for p in matches if p.barcode == text), matches[0] if matches else None)


def bundle_items(bundle_id: int) -> list[BundleItem]:
    return list(
        BundleItem.objects.filter(bundle_id=bundle_id)
        .select_related("item")
        .order_by("position", "pk")
    )


def bundle_list() -> QuerySet[Product]:
    """Bundles with their items (two queries)."""
    return (
        Product.objects.filter(kind=Product.Kind.BUNDLE)
        .select_related("category")
        .prefetch_related(
            Prefetch(
                "bundle_items",
                queryset=BundleItem.objects.select_related("item").order_by("position", "pk"),
            )
        )
        .order_by("sku")
    )


# ------------------------------------------------------------------------------- prices


def _price_annotations(ref: str, store_id: int | None, at: dt.datetime) -> dict[str, Any]:
    """Sub-selects giving, for the product named by ``ref``, the chain's and the store's
    latest change at or before ``at`` (price and id)."""
    live = PriceChange.objects.filter(
        product_id=OuterRef(ref), cancelled_at__isnull=True, effective_from__lte=at
    ).order_by("-effective_from")
    chain = live.filter(store__isnull=True)
    annotations: dict[str, Any] = {
        "chain_price": Subquery(chain.values("price_fen")[:1]),
        "chain_change": Subquery(chain.values("pk")[:1]),
    }
    if store_id is not None:
        own = live.filter(store_id=store_id)
        annotations["store_price"] = Subquery(own.values("price_fen")[:1])
        annotations["store_change"] = Subquery(own.values("pk")[:1])
    return annotations


def _resolve(product_id: int, list_price: int, row: Any) -> PriceInForce:
    store_price = getattr(row, "store_price", None)
    if store_price is not None:
        return PriceInForce(product_id, store_price, SOURCE_STORE, row.store_change)
    if row.chain_price is not None:
        return PriceInForce(product_id, row.chain_price, SOURCE_CHAIN, row.chain_change)
    return PriceInForce(product_id, list_price, SOURCE_LIST, None)


def prices_in_force(
    product_ids: Iterable[int], *, store_id: int | None, at: dt.datetime
) -> dict[int, PriceInForce]:
    """The price in force of each product at ``store_id`` (None: chain-wide) at ``at``, in
    one query. Unknown ids are left out."""
    ids = set(product_ids)
    if not ids:
        return {}
    rows = (
        Product.objects.filter(pk__in=ids)
        .annotate(**_price_annotations("pk", store_id, at))
        .only("pk", "list_price_fen")
    )
    return {row.pk: _resolve(row.pk, row.list_price_fen, row) for row in rows}


def price_in_force(product: Product | int, store_id: int | None, at: dt.datetime) -> PriceInForce:
    """The price in force of one product at a store (None: chain-wide) at a moment."""
    product_id = product.pk if isinstance(product, Product) else product
    found = prices_in_force([product_id], store_id=store_id, at=at).get(product_id)
    if found is None:
        raise NotFound(_("Product not found."), code="product_not_found")
    return found


def price_changes(
    product_id: int, *, store_ids: frozenset[int] | None = None
) -> QuerySet[PriceChange]:
    """A product's changes, latest start first: chain-wide ones and those of ``store_ids``
    (None: every store's)."""
    qs = PriceChange.objects.filter(product_id=product_id).select_related(
        "store", "created_by", "cancelled_by"
    )
    if store_ids is not None:
        qs = qs.filter(Q(store__isnull=True) | Q(store_id__in=store_ids))
    return qs.order_by("-effective_from", "-pk")


def price_change_product_id(change_id: int) -> int | None:
    """The product a price change is for (None for an unknown change)."""
    return PriceChange.objects.filter(pk=change_id).values_list("product_id", flat=True).first()


@dataclass(frozen=True)
class StorePrice:
    store: Store
    price: PriceInForce


def store_prices(
    product_id: int, *, at: dt.datetime, store_ids: frozenset[int] | None = None
) -> list[StorePrice]:
    """The price in force at each store (of ``store_ids``; None: every store), in two
    queries: the chain's price, then every store with its own latest change."""
    chain = price_in_force(product_id, None, at)
    own = PriceChange.objects.filter(
        product_id=product_id,
        store_id=OuterRef("pk"),
        cancelled_at__isnull=True,
        effective_from__lte=at,
    ).order_by("-effective_from")
    stores = Store.objects.annotate(
        own_price=Subquery(own.values("price_fen")[:1]),
        own_change=Subquery(own.values("pk")[:1]),
    ).order_by("code")
    if store_ids is not None:
        stores = stores.filter(pk__in=store_ids)
    result = []
    for store in stores:
        own_price = getattr(store, "own_price", None)
        price = (
            PriceInForce(product_id, own_price, SOURCE_STORE, getattr(store, "own_change", None))
            if own_price is not None
            else chain
        )
        result.append(StorePrice(store=store, price=price))
    return result


# ------------------------------------------------------------------ the engine's input


@dataclass(frozen=True)
class LineRequest:
    """One basket line as the counter or a POS sends it: a product by id or by the code a
    scanner read (barcode or SKU), and a quantity or an amount (fuel grade + ¥200)."""

    line_id: int
    product_id: int | None = None
    code: str = ""
    quantity_milli: int | None = None
    amount_fen: int | None = None


def unknown_code(code: str, **details: Any) -> NotFound:
    """The refusal for a code (barcode or SKU) no product has."""
    return NotFound(
        _("No product has the code %(code)s.") % {"code": code},
        code="unknown_product",
        details={**details, "code": code},
    )


def _unknown_product(request: LineRequest) -> NotFound:
    if request.code:
        return unknown_code(request.code, line_id=request.line_id)
    return NotFound(
        _("Unknown product."),
        code="unknown_product",
        details={"line_id": request.line_id, "product_id": request.product_id},
    )


def pricing_lines_for(
    requests: Sequence[LineRequest], *, store_id: int | None, at: dt.datetime
) -> tuple[Line, ...]:
    """The pricing engine's ``Line`` for each request, at the prices in force at
    ``store_id`` at ``at``: one query for the products with their prices and categories,
    one more for the items of any bundle (with their own prices, the weights of their
    shares). Refuses an unknown product (``unknown_product``), a delisted one
    (``product_delisted``) and a bundle without items (``bundle_without_items``)."""
    ids = {r.product_id for r in requests if r.product_id is not None}
    codes = {r.code.strip() for r in requests if r.code and r.code.strip()}
    wanted = Q(pk__in=ids) | Q(barcode__in=codes) | Q(sku__in=codes)
    products = list(
        Product.objects.filter(wanted)
        .select_related("category")
        .annotate(**_price_annotations("pk", store_id, at))
    )
    by_id = {p.pk: p for p in products}
    by_barcode = {p.barcode: p for p in products if p.barcode}
    by_sku = {p.sku: p for p in products}
    bundle_ids = [p.pk for p in products if p.is_bundle]
    contents: dict[int, list[PricingBundleItem]] = {}
    if bundle_ids:
        items = (
            BundleItem.objects.filter(bundle_id__in=bundle_ids)
            .select_related("item")
            .annotate(**_price_annotations("item_id", store_id, at))
            .order_by("bundle_id", "position", "pk")
        )
        for row in items:
            contents.setdefault(row.bundle_id, []).append(
                PricingBundleItem(
                    product_id=row.item_id,
                    sku=row.item.sku,
                    quantity_milli=row.quantity_milli,
                    unit_price_fen=_resolve(row.item_id, row.item.list_price_fen, row).price_fen,
                    name=row.item.name,
                )
            )
    lines = []
    for request in requests:
        code = request.code.strip() if request.code else ""
        product = (
            by_id.get(request.product_id)
            if request.product_id is not None
            else by_barcode.get(code) or by_sku.get(code)
        )
        if product is None:
            raise _unknown_product(request)
        if not product.is_active:
            raise Conflict(
                _("%(name)s is delisted and cannot be sold.") % {"name": product.name},
                code="product_delisted",
                details={"line_id": request.line_id, "product_id": product.pk},
            )
        if product.is_bundle and not contents.get(product.pk):
            raise Conflict(
                _("The bundle %(name)s lists no products yet.") % {"name": product.name},
                code="bundle_without_items",
                details={"line_id": request.line_id, "product_id": product.pk},
            )
        category = product.category
        lines.append(
            Line(
                line_id=request.line_id,
                product_id=product.pk,
                sku=product.sku,
                unit_price_fen=_resolve(product.pk, product.list_price_fen, product).price_fen,
                quantity_milli=request.quantity_milli,
                amount_fen=request.amount_fen,
                category_path=category.path_codes if category else (),
                category_names=tuple(category.path_names) if category else (),
                name=product.name,
                unit=UNIT_SYMBOLS.get(product.unit, ""),
                divisible=product.divisible,
                no_discount=product.no_discount,
                no_points=product.no_points,
                bundle_items=tuple(contents.get(product.pk, ())),
            )
        )
    return tuple(lines)
