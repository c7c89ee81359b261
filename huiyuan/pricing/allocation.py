"""Whole-fen arithmetic the engine declares once: rounding and largest-remainder allocation.

Two facts the rest of the engine relies on:

- ``allocate(total, weights)`` returns integer shares that sum exactly to ``total``; each
  share is the exact proportional share rounded down or up by one fen, the leftover fen
  going to the largest remainders, ties to the earlier position. When ``total`` is at
  most ``sum(weights)`` no share exceeds its weight — so allocating a payment by the
  lines' remaining capacity never overfills a line.
- ``share_of_quantity`` splits an amount for part of a line's quantity so that any
  sequence of partial returns adds up to exactly the whole amount.
"""

from __future__ import annotations

from collections.abc import Sequence

from huiyuan.pricing.errors import PricingError


def ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def round_half_up_div(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up (四舍五入), for non-negative numerators."""
    return (2 * numerator + denominator) // (2 * denominator)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` by largest remainder, ties by position."""
    if total < 0 or any(w < 0 for w in weights):
        raise PricingError("invalid_allocation", total=total)
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total:
            raise PricingError("invalid_allocation", total=total)
        return [0] * len(weights)
    shares = []
    remainders = []
    for index, weight in enumerate(weights):
        share, remainder = divmod(total * weight, weight_sum)
        shares.append(share)
        remainders.append((-remainder, index))
    leftover = total - sum(shares)
    for _negative_remainder, index in sorted(remainders)[:leftover]:
        shares[index] += 1
    return shares


def share_of_quantity(amount: int, quantity: int, done_before: int, now: int) -> int:
    """The part of ``amount`` (for ``quantity``) that ``now`` more units carry.

    ``done_before`` units were already taken out. Cumulative rounding down makes the parts
    of any sequence that ends at ``quantity`` add up to ``amount`` exactly.
    """
    if not 0 <= done_before <= done_before + now <= quantity or quantity <= 0:
        raise PricingError("invalid_quantity", quantity=quantity)
    return amount * (done_before + now) // quantity - amount * done_before // quantity
