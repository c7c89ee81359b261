"""The arithmetic of benefit cards, as pure functions (docs/benefits.md).

Declared rules:

- **Validity.** A card of a term of N months bought (or started) on local date D is valid
  D … add_months(D, N) − 1 day (``packages.rules.valid_until``); a lifetime card has no
  end. A **renewal** of an active card adds one term after its current last day (the new
  term starts the day after the old one ends, or today if that is later).
- **Unused part.** The card's value is what was paid for it (the sale, its renewals, and
  the credit it received at an upgrade). total = its valid days (first … last, both
  counted); unused = the days after today (today counts as used; a card not started yet
  is wholly unused). gross = value × unused ÷ total, rounded **down** to the fen.
- **Refund.** fee = gross × the plan's fee basis points ÷ 10,000, rounded down; refund =
  gross − fee, paid back in the method chosen; the card closes.
- **Upgrade.** credit = gross (no fee); the new card (a plan of a higher rank) starts today
  for its full term; due = the new plan's price − credit, paid in the method chosen. A
  credit above the new price is refused (refund instead). Its value becomes credit + due.
- A lifetime card has no unused part by days: it cannot be refunded or upgraded here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from huiyuan.benefits.models import TERM_MONTHS, BenefitPlan
from huiyuan.packages.models import ValidityUnit
from huiyuan.packages.rules import refund_quote
from huiyuan.packages.rules import valid_until as _valid_until


def valid_until(start: dt.date, term: str) -> dt.date | None:
    """The last valid local date of a card of ``term`` started on ``start`` (None: no end)."""
    return _valid_until(start, TERM_MONTHS[term], ValidityUnit.MONTH)


def renewed_until(current_until: dt.date, today: dt.date, term: str) -> dt.date | None:
    """The new last day after one more term (see the module docstring)."""
    start = max(current_until + dt.timedelta(days=1), today)
    return valid_until(start, term)


@dataclass(frozen=True)
class UnusedQuote:
    value_fen: int
    total_days: int
    unused_days: int
    gross_fen: int
    fee_fen: int
    amount_fen: int


def unused_quote(
    *, value_fen: int, valid_from: dt.date, valid_until: dt.date, today: dt.date, fee_bp: int
) -> UnusedQuote:
    """The unused part of a card on ``today`` (see the module docstring)."""
    total = (valid_until - valid_from).days + 1
    first_unused = max(today + dt.timedelta(days=1), valid_from)
    unused = max(0, (valid_until - first_unused).days + 1)
    quote = refund_quote(
        paid_fen=value_fen, total_units=total, unused_units=unused, fee_fen=0, fee_bp=fee_bp
    )
    return UnusedQuote(
        value_fen=value_fen,
        total_days=total,
        unused_days=unused,
        gross_fen=quote.gross_fen,
        fee_fen=quote.fee_fen,
        amount_fen=quote.amount_fen,
    )


def terms_of(plan: BenefitPlan) -> dict[str, Any]:
    """The privileges a card copies from its plan when sold (JSON)."""
    return {
        "code": plan.code,
        "version": plan.version,
        "paid_permille": plan.paid_permille,
        "category_discounts": {str(k): int(v) for k, v in (plan.category_discounts or {}).items()},
        "points_multiplier_pct": plan.points_multiplier_pct,
        "member_prices": {str(k): int(v) for k, v in (plan.member_prices or {}).items()},
        "free_plan_id": plan.free_plan_id,
        "priority_text": plan.priority_text,
        "refund_fee_bp": plan.refund_fee_bp,
    }
