"""Stock services: every write locks the levels it changes, decides, posts movements,
audits, in one transaction; those a cashier or a POS may retry take an idempotency key."""

from huiyuan.stock.services.adjustments import stock_adjust
from huiyuan.stock.services.config import (
    below_zero_policy,
    reorder_point_set,
    stock_item_set,
    stock_policy_set,
)
from huiyuan.stock.services.purchases import PurchaseLineInput, purchase_receive
from huiyuan.stock.services.stocktakes import (
    stocktake_cancel,
    stocktake_count,
    stocktake_create,
    stocktake_post,
)
from huiyuan.stock.services.transfers import TransferLineInput, transfer_receive, transfer_send

__all__ = [
    "PurchaseLineInput",
    "TransferLineInput",
    "below_zero_policy",
    "purchase_receive",
    "reorder_point_set",
    "stock_adjust",
    "stock_item_set",
    "stock_policy_set",
    "stocktake_cancel",
    "stocktake_count",
    "stocktake_create",
    "stocktake_post",
    "transfer_receive",
    "transfer_send",
]
