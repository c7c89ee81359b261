"""Template helpers of the member portal: ``{% load portal %}``."""

from __future__ import annotations

from django import template
from django.http import HttpRequest

from huiyuan.core.money import fen_to_yuan_str

register = template.Library()


@register.simple_tag
def portal_tab(request: HttpRequest) -> str:
    """Which bottom tab is current: ``home`` (/m/), ``card`` (/m/card/…) or ``me``."""
    path = request.path
    if path.rstrip("/") == "/m":
        return "home"
    if path.startswith("/m/card"):
        return "card"
    return "me"


@register.filter
def yuan(fen: int | None) -> str:
    """Integer fen as ``¥1,234.50`` (money is shown in yuan, kept in fen)."""
    return fen_to_yuan_str(int(fen or 0))


@register.filter
def minus(value: int | None, other: int | None) -> int:
    return int(value or 0) - int(other or 0)
