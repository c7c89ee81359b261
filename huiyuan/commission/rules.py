"""Which rule pays, and how much: pure functions (no database)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MILLI = 1000
BP = 10_000


@dataclass(frozen=True)
class RuleSpec:
    id: int
    kind: str  # "category" or "recharge"
    category_code: str
    role: str  # "" for every role
    method: str  # "percent" or "fixed"
    rate_bp: int
    fixed_fen: int


def _half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up (both non-negative)."""
    return (2 * numerator + denominator) // (2 * denominator)


def rule_for_line(
    rules: Sequence[RuleSpec], *, category_path: Sequence[str], role: str
) -> RuleSpec | None:
    """The rule for a line: the most specific category code of its path that a rule names;
    at that code a rule for the staff member's role beats one for every role."""
    for code in reversed(list(category_path)):
        at_code = [r for r in rules if r.kind == "category" and r.category_code == code]
        for wanted in (role, ""):
            for rule in at_code:
                if rule.role == wanted:
                    return rule
    return None


def rule_for_recharge(rules: Sequence[RuleSpec], *, role: str) -> RuleSpec | None:
    at_kind = [r for r in rules if r.kind == "recharge"]
    for wanted in (role, ""):
        for rule in at_kind:
            if rule.role == wanted:
                return rule
    return None


def commission_amount(rule: RuleSpec, *, base_fen: int, quantity_milli: int) -> int:
    """The commission a rule pays: ``base × rate`` or ``units × fixed``, rounded half up
    to whole fen."""
    if rule.method == "percent":
        return _half_up(max(base_fen, 0) * rule.rate_bp, BP)
    return _half_up(max(quantity_milli, 0) * rule.fixed_fen, MILLI)


def reversal_share(
    credit_fen: int, *, quantity_milli: int, before_milli: int, now_milli: int
) -> int:
    """What a return of ``now_milli`` takes back of a line's ``credit_fen`` after
    ``before_milli`` came back earlier: cumulative, so the returns of a line always add up
    to the credit exactly (the same rule as checkout's ``line_refund``)."""
    total = before_milli + now_milli
    return credit_fen * total // quantity_milli - credit_fen * before_milli // quantity_milli
