"""Catalog writes. Every service checks its permission and writes an audit row with the
change, in the change's transaction."""

from huiyuan.catalog.services.bundles import BundleItemInput, bundle_set_items
from huiyuan.catalog.services.categories import category_create, category_update
from huiyuan.catalog.services.common import UNSET
from huiyuan.catalog.services.prices import (
    price_change_cancel,
    price_change_schedule,
    store_price_clear,
    store_price_set,
)
from huiyuan.catalog.services.products import (
    ProductInput,
    product_create,
    product_delist,
    product_relist,
    product_update,
)

__all__ = [
    "UNSET",
    "BundleItemInput",
    "ProductInput",
    "bundle_set_items",
    "category_create",
    "category_update",
    "price_change_cancel",
    "price_change_schedule",
    "product_create",
    "product_delist",
    "product_relist",
    "product_update",
    "store_price_clear",
    "store_price_set",
]
