"""Template filters for money and points: fen in, what people read out."""

from __future__ import annotations

from django import template

from huiyuan.core.money import fen_to_yuan_str

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """``12300|yuan`` → ``¥123.00``; empty for None."""
    if fen is None or fen == "":
        return ""
    return fen_to_yuan_str(int(fen))


@register.filter
def signed_yuan(fen: int | None) -> str:
    """``+¥12.30`` / ``-¥12.30``, for ledger deltas."""
    if fen is None or fen == "":
        return ""
    value = int(fen)
    return ("+" if value > 0 else "") + fen_to_yuan_str(value)


@register.filter
def yuan_plain(fen: int | None) -> str:
    """``12300`` → ``123.00`` (no sign, no separators): the value of an amount input."""
    if fen is None or fen == "":
        return ""
    return fen_to_yuan_str(int(fen)).replace("¥", "").replace(",", "")


@register.filter
def signed(value: int | None) -> str:
    """``+120`` / ``-120`` for point deltas."""
    if value is None or value == "":
        return ""
    number = int(value)
    return f"+{number:,}" if number > 0 else f"{number:,}"


@register.filter
def milli(value: int | None) -> str:
    """A quantity in thousandths of a unit as people write it: ``2000`` → ``2``,
    ``25348`` → ``25.348``."""
    if value is None or value == "":
        return ""
    whole, rest = divmod(int(value), 1000)
    return f"{whole}.{rest:03d}".rstrip("0") if rest else str(whole)
