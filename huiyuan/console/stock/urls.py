"""Stock pages (same "console" namespace)."""

from django.urls import path

from huiyuan.console.stock import config, levels, purchases, stocktakes, transfers

urlpatterns = [
    path("stock/", levels.level_list, name="stock_levels"),
    path("stock/export.xlsx", levels.level_export, name="stock_export"),
    path("stock/movements/", levels.movement_list, name="stock_movements"),
    path(
        "stock/levels/<int:store_id>/<int:product_id>/",
        levels.level_detail,
        name="stock_level",
    ),
    path("stock/purchases/", purchases.purchase_list, name="stock_purchases"),
    path("stock/purchases/new/", purchases.purchase_create, name="stock_purchase_create"),
    path("stock/stocktakes/", stocktakes.stocktake_list, name="stock_stocktakes"),
    path(
        "stock/stocktakes/<int:stocktake_id>/",
        stocktakes.stocktake_detail,
        name="stock_stocktake",
    ),
    path("stock/transfers/", transfers.transfer_list, name="stock_transfers"),
    path("stock/transfers/new/", transfers.transfer_create, name="stock_transfer_create"),
    path("stock/transfers/<int:transfer_id>/", transfers.transfer_detail, name="stock_transfer"),
    path("stock/settings/", config.stock_settings, name="stock_settings"),
]
