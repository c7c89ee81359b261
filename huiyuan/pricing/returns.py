"""Partial returns: what returning part of a line gives back, so that returns add up exactly.

Each amount a line carries (discount, points offset, points used, principal, bonus,
external, eligible amount, points earned) is refunded by cumulative rounding down:
returning ``q`` of ``Q`` after ``r`` were returned gives back
``amount × (r + q) // Q − amount × r // Q``. Whatever the order and sizes of the returns,
once the whole quantity is back every amount is back exactly, to the fen and the point.
The list amount returned is the payable returned plus the discount returned.
"""

from __future__ import annotations

from dataclasses import replace

from huiyuan.pricing.allocation import share_of_quantity
from huiyuan.pricing.errors import PricingError
from huiyuan.pricing.outputs import LineAmounts


def line_refund(
    amounts: LineAmounts, *, returned_before_milli: int, returning_milli: int
) -> LineAmounts:
    """What ``returning_milli`` more of the line gives back (the same shape as the line)."""
    quantity = amounts.quantity_milli
    if returning_milli <= 0:
        raise PricingError("invalid_quantity", quantity=returning_milli)
    if returned_before_milli < 0 or returned_before_milli + returning_milli > quantity:
        raise PricingError(
            "return_exceeds_sold",
            sold=quantity,
            returned=returned_before_milli,
            returning=returning_milli,
        )

    def part(amount: int) -> int:
        return share_of_quantity(amount, quantity, returned_before_milli, returning_milli)

    refund = LineAmounts(
        quantity_milli=returning_milli,
        list_fen=0,
        discount_fen=part(amounts.discount_fen),
        points_offset_fen=part(amounts.points_offset_fen),
        points_used=part(amounts.points_used),
        principal_fen=part(amounts.principal_fen),
        bonus_fen=part(amounts.bonus_fen),
        external_fen=part(amounts.external_fen),
        points_eligible_fen=part(amounts.points_eligible_fen),
        points_earned=part(amounts.points_earned),
    )
    return replace(refund, list_fen=refund.payable_fen + refund.discount_fen)
