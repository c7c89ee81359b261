"""The arithmetic of packages, as pure functions: validity, limit periods, refunds.

Declared rules (docs/packages.md):

- **Validity.** A package valid N days from local date D is valid on D … D + N − 1 (N days
  of use); valid N months: D … add_months(D, N) − 1 day (a monthly pass bought on 01-15 is
  valid through 02-14; from 01-31, through 02-27 or 02-28 — the day before the same day
  of the month, or before the month's last day when it is shorter).
- **Limit periods.** "per day" is the store's local date; "per week" the ISO week (Monday
  to Sunday); "per month" the calendar month.
- **Refund.** gross = paid × unused ÷ total, rounded down to the fen; fee = fixed fee +
  gross × basis points ÷ 10,000 rounded down; refund = max(0, gross − fee). Units are uses
  (count and course cards: the sum over items) or days of validity (period cards).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from huiyuan.packages.models import LimitPeriod, ValidityUnit


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or that month's last day when it is shorter."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def valid_until(start: dt.date, value: int | None, unit: str) -> dt.date | None:
    """The last local date a package started on ``start`` may be used (None: no end)."""
    if value is None:
        return None
    if unit == ValidityUnit.MONTH:
        return add_months(start, value) - dt.timedelta(days=1)
    return start + dt.timedelta(days=value - 1)


def period_bounds(day: dt.date, period: str) -> tuple[dt.date, dt.date]:
    """``[first, last]`` local dates of the limit period holding ``day``."""
    if period == LimitPeriod.WEEK:
        first = day - dt.timedelta(days=day.weekday())
        return first, first + dt.timedelta(days=6)
    if period == LimitPeriod.MONTH:
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    return day, day


def unit_share(amount: int, quantity: int, index: int) -> int:
    """Unit ``index`` (0-based) of ``quantity``'s share of ``amount``: the shares of all
    units add up to ``amount`` exactly (as returns share a line)."""
    return amount * (index + 1) // quantity - amount * index // quantity


@dataclass(frozen=True)
class RefundQuote:
    paid_fen: int
    total_units: int
    unused_units: int
    gross_fen: int
    fee_fen: int
    amount_fen: int


def refund_quote(
    *, paid_fen: int, total_units: int, unused_units: int, fee_fen: int, fee_bp: int
) -> RefundQuote:
    """What refunding the unused part pays back (see the module docstring)."""
    if total_units <= 0 or not 0 <= unused_units <= total_units:
        raise ValueError("unused units must lie between 0 and a positive total")
    gross = paid_fen * unused_units // total_units
    fee = min(gross, fee_fen + gross * fee_bp // 10_000)
    return RefundQuote(
        paid_fen=paid_fen,
        total_units=total_units,
        unused_units=unused_units,
        gross_fen=gross,
        fee_fen=fee,
        amount_fen=gross - fee,
    )
