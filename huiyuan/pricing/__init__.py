"""The pricing engine (D1, D2): pure functions from a basket to what it costs and how it is paid.

No database, no Django models, no settings, no clock: the checkout service loads the
member (under the member's lock), the promotions in force and the policies, calls
``price_basket``, and applies the result to the ledgers in one transaction. The quote
screen calls the same function, so the quote equals the sale. See ``docs/pricing.md``.

Guarantees, for any input the engine accepts:

- the same input gives the same output;
- every line's payable is between 0 and its list amount; so is the basket's;
- a line's adjustments add up to its discount, the lines' discounts to the basket's, and
  every payment kind (points offset, points, principal, bonus, external) allocated to the
  lines adds up to the basket's figure, each line paid exactly;
- ``line_refund`` over any sequence of partial returns gives back every amount exactly.

Public API::

    price_basket(basket, *, context, member=None, promotions=(), payment=PaymentRequest(),
                 coupons=())
        -> PricedBasket                       # raises PricingError(code, **params)
    propose_coupons(basket, *, context, member=None, promotions=(), coupons=())
        -> ({coupon id: why not or None}, best combination, its worth in fen)
    allocate_earned_points(priced, earned_by_category_path) -> {line_id: points}
    line_refund(amounts, *, returned_before_milli, returning_milli) -> LineAmounts
    allocate(total, weights) -> list[int]     # largest remainder, ties by position
    split_balance(order, amount, principal, bonus) -> (principal, bonus)
    render_reason_zh(reason) / render_reason_en(reason) -> str
    render_error_zh(error) / render_error_en(error) -> str
"""

from huiyuan.pricing.allocation import allocate
from huiyuan.pricing.coupons import CouponKind, CouponLine, CouponTerms, combination_key
from huiyuan.pricing.engine import allocate_earned_points, price_basket, propose_coupons
from huiyuan.pricing.errors import PricingError
from huiyuan.pricing.inputs import (
    Basket,
    BenefitTerms,
    BundleItem,
    Line,
    MemberSnapshot,
    PaymentPolicy,
    PaymentRequest,
    PricingContext,
    Promotion,
    PromotionKind,
    SpendOrder,
    Stacking,
    TierTerms,
)
from huiyuan.pricing.outputs import (
    Adjustment,
    BundleComponent,
    EligibleAmount,
    LineAmounts,
    PricedBasket,
    PricedLine,
    Reason,
    RuleRef,
)
from huiyuan.pricing.payments import points_max, split_balance
from huiyuan.pricing.reasons import (
    render_error_en,
    render_error_zh,
    render_reason_en,
    render_reason_zh,
)
from huiyuan.pricing.returns import line_refund

__all__ = [
    "Adjustment",
    "Basket",
    "BenefitTerms",
    "BundleComponent",
    "BundleItem",
    "CouponKind",
    "CouponLine",
    "CouponTerms",
    "EligibleAmount",
    "Line",
    "LineAmounts",
    "MemberSnapshot",
    "PaymentPolicy",
    "PaymentRequest",
    "PricedBasket",
    "PricedLine",
    "PricingContext",
    "PricingError",
    "Promotion",
    "PromotionKind",
    "Reason",
    "RuleRef",
    "SpendOrder",
    "Stacking",
    "TierTerms",
    "allocate",
    "allocate_earned_points",
    "combination_key",
    "line_refund",
    "points_max",
    "price_basket",
    "propose_coupons",
    "render_error_en",
    "render_error_zh",
    "render_reason_en",
    "render_reason_zh",
    "split_balance",
]
