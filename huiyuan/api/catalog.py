"""Catalog endpoints: categories, products, prices in force, price changes, bundles.

Reads need ``catalog.view``; writes check their own permission in the service
(``catalog.manage`` for the chain's catalog, ``catalog.store_price`` for a store's prices).
Writes that create something take an ``Idempotency-Key``: a retried request returns what
the first one created.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.catalog import (
    BundleItemOut,
    BundleItemsIn,
    CatalogReasonIn,
    CategoryCreateIn,
    CategoryOut,
    CategoryPatchIn,
    PriceChangeIn,
    PriceChangeOut,
    PriceOut,
    PricesQuery,
    ProductCreateIn,
    ProductListQuery,
    ProductOut,
    ProductPageOut,
    ProductPatchIn,
    ProductPricesOut,
    StorePriceIn,
    StoreQuery,
)
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.money import IdempotencyKey, require_key
from huiyuan.catalog import selectors, services
from huiyuan.catalog.models import BundleItem, Category, PriceChange, Product
from huiyuan.catalog.selectors import PriceInForce
from huiyuan.core.permissions import Actor, Perm, require

router = Router(tags=["catalog"])

CategoryId = Path(..., ge=1, le=MAX_ID, description="Category id.")
ProductId = Path(..., ge=1, le=MAX_ID, description="Product id.")
ChangeId = Path(..., ge=1, le=MAX_ID, description="Price change id.")
StoreId = Path(..., ge=1, le=MAX_ID, description="Store id.")
CodePath = Path(..., pattern=r"^[0-9A-Za-z._-]{1,40}$", description="Barcode or SKU, as scanned.")
MAX_CHANGES = 100  # price changes listed with a product's prices
PRODUCT_FIELDS = (
    "sku", "barcode", "name", "spec", "kind", "unit", "divisible", "list_price_fen",
    "no_points", "no_discount", "status", "delisted_at", "created_at", "updated_at",
)  # fmt: skip


def _viewer(request: HttpRequest) -> Actor:
    actor = actor_of(request)
    require(actor, Perm.CATALOG_VIEW)
    return actor


def _price(price: PriceInForce) -> dict[str, Any]:
    return {
        "product_id": price.product_id,
        "price_fen": price.price_fen,
        "source": price.source,
        "change_id": price.change_id,
    }


def _products(products: Iterable[Product], store_id: int | None) -> list[dict[str, Any]]:
    """Products with the price in force now at ``store_id``, in one query for all."""
    rows = list(products)
    prices = selectors.prices_in_force([p.pk for p in rows], store_id=store_id, at=timezone.now())
    out = []
    for product in rows:
        category = product.category
        row = {name: getattr(product, name) for name in PRODUCT_FIELDS}
        row.update(
            id=product.pk,
            category=(
                {"id": category.pk, "code": category.code, "name": category.name}
                if category
                else None
            ),
            category_path=list(category.path_codes) if category else [],
            price=_price(prices[product.pk]),
            store_id=store_id,
        )
        out.append(row)
    return out


def _product(product_id: int, store_id: int | None) -> dict[str, Any]:
    return _products([selectors.product_get(product_id)], store_id)[0]


def _store(actor: Actor, store_id: int | None) -> int | None:
    """The store prices are read at: the one asked for, else the caller's."""
    return store_id if store_id is not None else actor.store_id


# --------------------------------------------------------------------------- categories


@router.get(
    "/categories",
    response={200: list[CategoryOut], **ERRORS},
    summary="The category tree, depth first",
)
def category_list(request: HttpRequest) -> list[Category]:
    _viewer(request)
    return selectors.category_tree()


@router.post("/categories", response={201: CategoryOut, **ERRORS}, summary="Add a category")
def category_create(
    request: HttpRequest, payload: CategoryCreateIn, idempotency_key: str = IdempotencyKey
) -> Status[Category]:
    category = services.category_create(
        actor=actor_of(request),
        code=payload.code,
        name=payload.name,
        parent_id=payload.parent_id,
        position=payload.position,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, category)


@router.get(
    "/categories/{int:category_id}", response={200: CategoryOut, **ERRORS}, summary="A category"
)
def category_detail(request: HttpRequest, category_id: int = CategoryId) -> Category:
    _viewer(request)
    return selectors.category_get(category_id)


@router.patch(
    "/categories/{int:category_id}",
    response={200: CategoryOut, **ERRORS},
    summary="Rename, move or reorder a category",
)
def category_update(
    request: HttpRequest, payload: CategoryPatchIn, category_id: int = CategoryId
) -> Category:
    sent = payload.model_fields_set
    return services.category_update(
        actor=actor_of(request),
        category_id=category_id,
        name=payload.name if "name" in sent else None,
        parent_id=payload.parent_id if "parent_id" in sent else services.UNSET,
        position=payload.position if "position" in sent else None,
    )


# ----------------------------------------------------------------------------- products


@router.get(
    "/products",
    response={200: ProductPageOut, **ERRORS},
    summary="Search and list products, with the price in force now",
)
def product_list(request: HttpRequest, filters: Query[ProductListQuery]) -> dict[str, Any]:
    actor = _viewer(request)
    qs = selectors.product_search(
        query=filters.q,
        category_id=filters.category_id,
        status=filters.status or "",
        kind=filters.kind or "",
    )
    page = qs[filters.offset : filters.offset + filters.limit]
    return {
        "count": qs.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": _products(page, _store(actor, filters.store_id)),
    }


@router.post("/products", response={201: ProductOut, **ERRORS}, summary="Add a product")
def product_create(
    request: HttpRequest, payload: ProductCreateIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    product = services.product_create(
        actor=actor,
        data=services.ProductInput(**payload.model_dump()),
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _product(product.pk, actor.store_id))


@router.get(
    "/products/by-code/{code}",
    response={200: ProductOut, **ERRORS},
    summary="Find a product by the barcode or SKU a scanner read",
)
def product_by_code(
    request: HttpRequest, filters: Query[StoreQuery], code: str = CodePath
) -> dict[str, Any]:
    actor = _viewer(request)
    product = selectors.product_by_code(code)
    if product is None:
        raise selectors.unknown_code(code)
    return _products([product], _store(actor, filters.store_id))[0]


@router.get(
    "/products/{int:product_id}",
    response={200: ProductOut, **ERRORS},
    summary="A product, with the price in force now",
)
def product_detail(
    request: HttpRequest, filters: Query[StoreQuery], product_id: int = ProductId
) -> dict[str, Any]:
    actor = _viewer(request)
    return _product(product_id, _store(actor, filters.store_id))


@router.patch(
    "/products/{int:product_id}", response={200: ProductOut, **ERRORS}, summary="Edit a product"
)
def product_update(
    request: HttpRequest, payload: ProductPatchIn, product_id: int = ProductId
) -> dict[str, Any]:
    actor = actor_of(request)
    product = services.product_update(
        actor=actor, product_id=product_id, **payload.model_dump(exclude_unset=True)
    )
    return _product(product.pk, actor.store_id)


@router.post(
    "/products/{int:product_id}/delist",
    response={200: ProductOut, **ERRORS},
    summary="Take a product off sale",
)
def product_delist(
    request: HttpRequest, payload: CatalogReasonIn, product_id: int = ProductId
) -> dict[str, Any]:
    actor = actor_of(request)
    services.product_delist(actor=actor, product_id=product_id, reason=payload.reason)
    return _product(product_id, actor.store_id)


@router.post(
    "/products/{int:product_id}/relist",
    response={200: ProductOut, **ERRORS},
    summary="Put a delisted product back on sale",
)
def product_relist(
    request: HttpRequest, payload: CatalogReasonIn, product_id: int = ProductId
) -> dict[str, Any]:
    actor = actor_of(request)
    services.product_relist(actor=actor, product_id=product_id, reason=payload.reason)
    return _product(product_id, actor.store_id)


# ------------------------------------------------------------------------------- prices


@router.get(
    "/prices",
    response={200: list[PriceOut], **ERRORS},
    summary="Prices in force for several products at a store and moment (one look-up)",
)
def prices_in_force(request: HttpRequest, filters: Query[PricesQuery]) -> list[dict[str, Any]]:
    actor = _viewer(request)
    prices = selectors.prices_in_force(
        filters.product_id,
        store_id=_store(actor, filters.store_id),
        at=filters.at or timezone.now(),
    )
    return [_price(prices[pk]) for pk in dict.fromkeys(filters.product_id) if pk in prices]


@router.get(
    "/products/{int:product_id}/prices",
    response={200: ProductPricesOut, **ERRORS},
    summary="A product's prices: in force now chain-wide and at each store, and its changes",
)
def product_prices(request: HttpRequest, product_id: int = ProductId) -> dict[str, Any]:
    actor = _viewer(request)
    product = selectors.product_get(product_id)
    now = timezone.now()
    stores = selectors.store_prices(product.pk, at=now, store_ids=actor.store_ids)
    return {
        "chain": _price(selectors.price_in_force(product, None, now)),
        "stores": [
            {
                "store_id": row.store.pk,
                "store_code": row.store.code,
                "store_name": row.store.name,
                "price": _price(row.price),
            }
            for row in stores
        ],
        "changes": list(
            selectors.price_changes(product.pk, store_ids=actor.store_ids)[:MAX_CHANGES]
        ),
    }


@router.post(
    "/products/{int:product_id}/price-changes",
    response={201: PriceChangeOut, **ERRORS},
    summary="Publish a price change, chain-wide or at one store, now or later",
)
def price_change_schedule(
    request: HttpRequest,
    payload: PriceChangeIn,
    product_id: int = ProductId,
    idempotency_key: str = IdempotencyKey,
) -> Status[PriceChange]:
    change = services.price_change_schedule(
        actor=actor_of(request),
        product_id=product_id,
        price_fen=payload.price_fen,
        effective_from=payload.effective_from,
        store_id=payload.store_id,
        note=payload.note,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, change)


@router.post(
    "/price-changes/{int:change_id}/cancel",
    response={200: PriceChangeOut, **ERRORS},
    summary="Withdraw a price change not yet in force",
)
def price_change_cancel(
    request: HttpRequest, payload: CatalogReasonIn, change_id: int = ChangeId
) -> PriceChange:
    return services.price_change_cancel(
        actor=actor_of(request), change_id=change_id, reason=payload.reason
    )


@router.put(
    "/products/{int:product_id}/store-prices/{int:store_id}",
    response={201: PriceChangeOut, **ERRORS},
    summary="Give a store its own price for a product (now or later)",
)
def store_price_set(
    request: HttpRequest,
    payload: StorePriceIn,
    product_id: int = ProductId,
    store_id: int = StoreId,
    idempotency_key: str = IdempotencyKey,
) -> Status[PriceChange]:
    change = services.store_price_set(
        actor=actor_of(request),
        product_id=product_id,
        store_id=store_id,
        price_fen=payload.price_fen,
        effective_from=payload.effective_from,
        note=payload.note,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, change)


@router.delete(
    "/products/{int:product_id}/store-prices/{int:store_id}",
    response={200: PriceChangeOut, **ERRORS},
    summary="From now on, the store follows the chain-wide price",
)
def store_price_clear(
    request: HttpRequest, product_id: int = ProductId, store_id: int = StoreId
) -> PriceChange:
    return services.store_price_clear(
        actor=actor_of(request), product_id=product_id, store_id=store_id
    )


# ------------------------------------------------------------------------------ bundles


@router.get(
    "/products/{int:product_id}/bundle-items",
    response={200: list[BundleItemOut], **ERRORS},
    summary="What one bundle (套餐) holds",
)
def bundle_items(request: HttpRequest, product_id: int = ProductId) -> list[BundleItem]:
    _viewer(request)
    selectors.product_get(product_id)
    return selectors.bundle_items(product_id)


@router.put(
    "/products/{int:product_id}/bundle-items",
    response={200: list[BundleItemOut], **ERRORS},
    summary="Set what one bundle holds (replaces the list)",
)
def bundle_set_items(
    request: HttpRequest, payload: BundleItemsIn, product_id: int = ProductId
) -> list[BundleItem]:
    services.bundle_set_items(
        actor=actor_of(request),
        bundle_id=product_id,
        items=[
            services.BundleItemInput(item.product_id, item.quantity_milli) for item in payload.items
        ],
    )
    return selectors.bundle_items(product_id)
