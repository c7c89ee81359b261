"""The arithmetic of referral commission, as pure functions (docs/referrals.md).

- **Base.** What the referee really paid for the sale: principal stored value plus
  external money (cash, card, WeChat…). Not the bonus stored value (a gift of the
  merchant), not points, not coupons or discounts (they are not paid).
- **Levels.** The referee's referrer is level 1, that member's referrer level 2, and so on,
  up to the policy's levels (default 2, at most 3 — never more). A chain stops at a member
  who appears twice (a loop) or who is not active.
- **Amount.** base × rate ÷ 10,000, rounded down to the fen, per level.
- **Return.** A return reverses each level's credit in proportion to the paid amount
  returned: credit × (returned so far) ÷ base, rounded down, less what was reversed before;
  a reversal (冲正) of the whole sale reverses what is left.
"""

from __future__ import annotations

from huiyuan.referrals.models import MAX_LEVELS


def commission(base_fen: int, rate_bp: int) -> int:
    return max(0, base_fen) * rate_bp // 10_000


def capped_levels(levels: int) -> int:
    return max(0, min(MAX_LEVELS, levels))


def reversal_due(
    *, credit_fen: int, base_fen: int, returned_total_fen: int, reversed_before_fen: int
) -> int:
    """How much more to reverse after returns totalling ``returned_total_fen``."""
    if base_fen <= 0:
        return 0
    returned = min(returned_total_fen, base_fen)
    target = credit_fen * returned // base_fen
    if returned >= base_fen:
        target = credit_fen
    return max(0, target - reversed_before_fen)
