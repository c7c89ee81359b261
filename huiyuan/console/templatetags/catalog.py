"""Catalog display helpers: quantities kept in thousandths of a unit."""

from __future__ import annotations

from django import template

register = template.Library()

MILLI = 1000


@register.filter
def quantity(milli: int | None) -> str:
    """``1500`` → ``1.5``, ``2000`` → ``2``: a quantity in thousandths as a person writes it."""
    if milli is None:
        return ""
    sign = "-" if milli < 0 else ""
    whole, rest = divmod(abs(milli), MILLI)
    return f"{sign}{whole}" if not rest else f"{sign}{whole}.{rest:03d}".rstrip("0")
