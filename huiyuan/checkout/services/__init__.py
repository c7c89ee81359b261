"""Checkout writes (S1, S2, P3): the one sale path, quotes, returns, reversals, supplementary
points and promotions. One module per noun; everything is re-exported here."""

from huiyuan.checkout.services.basket_quote import BasketQuote, sale_quote_basket
from huiyuan.checkout.services.common import _STORE_CACHE, MAX_SALE_FEN, split_balance
from huiyuan.checkout.services.inputs import (
    BasketSaleInput,
    ExternalPayment,
    QuickSaleInput,
    SaleLineInput,
)
from huiyuan.checkout.services.joining import EnrolRequest, joining_policy, joining_policy_set
from huiyuan.checkout.services.promotions import (
    PromotionInput,
    holiday_set,
    promotion_end,
    promotion_publish,
)
from huiyuan.checkout.services.quote import SaleQuote, sale_quote
from huiyuan.checkout.services.returns import ManagerAuthorisation, ReturnLineInput, sale_return
from huiyuan.checkout.services.reverse import sale_reverse, sale_supplement_points
from huiyuan.checkout.services.sale import sale_complete, sale_quick

__all__ = [
    "MAX_SALE_FEN",
    "_STORE_CACHE",
    "BasketQuote",
    "BasketSaleInput",
    "EnrolRequest",
    "ExternalPayment",
    "ManagerAuthorisation",
    "PromotionInput",
    "QuickSaleInput",
    "ReturnLineInput",
    "SaleLineInput",
    "SaleQuote",
    "holiday_set",
    "joining_policy",
    "joining_policy_set",
    "promotion_end",
    "promotion_publish",
    "sale_complete",
    "sale_quick",
    "sale_quote",
    "sale_quote_basket",
    "sale_return",
    "sale_reverse",
    "sale_supplement_points",
    "split_balance",
]
