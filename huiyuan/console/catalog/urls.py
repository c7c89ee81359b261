"""Catalog pages (same "console" namespace)."""

from django.urls import path

from huiyuan.console.catalog import bundles, categories, imports, prices, products

urlpatterns = [
    path("catalog/categories/", categories.categories, name="catalog_categories"),
    path(
        "catalog/categories/<int:category_id>/edit/",
        categories.category_edit,
        name="catalog_category_edit",
    ),
    path("catalog/products/", products.product_list, name="catalog_products"),
    path("catalog/products/new/", products.product_create, name="catalog_product_create"),
    path("catalog/products/<int:product_id>/", products.product_detail, name="catalog_product"),
    path(
        "catalog/products/<int:product_id>/status/",
        products.product_status,
        name="catalog_product_status",
    ),
    path(
        "catalog/products/<int:product_id>/prices/",
        prices.product_prices,
        name="catalog_product_prices",
    ),
    path(
        "catalog/products/<int:product_id>/prices/clear/",
        prices.store_price_clear,
        name="catalog_store_price_clear",
    ),
    path(
        "catalog/price-changes/<int:change_id>/cancel/",
        prices.price_change_cancel,
        name="catalog_price_cancel",
    ),
    path(
        "catalog/products/<int:product_id>/bundle/",
        bundles.bundle_items,
        name="catalog_bundle_items",
    ),
    path("catalog/bundles/", bundles.bundle_list, name="catalog_bundles"),
    path("catalog/import/", imports.product_import, name="catalog_import"),
    path("catalog/import/confirm/", imports.product_import_confirm, name="catalog_import_confirm"),
    path("catalog/import/discard/", imports.product_import_discard, name="catalog_import_discard"),
    path("catalog/import/check.xlsx", imports.product_import_report, name="catalog_import_report"),
    path(
        "catalog/import/template.xlsx",
        imports.product_import_template,
        name="catalog_import_template",
    ),
]
