"""Coupon filters: a paid permille as shoppers say it (800 → 8折)."""

from __future__ import annotations

from django import template

from huiyuan.pricing.reasons import zhe as _zhe

register = template.Library()


@register.filter
def zhe(paid_permille: int | None) -> str:
    return _zhe(int(paid_permille or 0))
