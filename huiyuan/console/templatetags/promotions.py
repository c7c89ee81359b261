"""Template filters for promotions: a rule's value, weekdays and dates as people read them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.translation import gettext as _

from huiyuan.checkout.models import Promotion
from huiyuan.console.promotions.forms import WEEKDAYS, permille_to_zhe
from huiyuan.core.money import fen_to_yuan_str

register = template.Library()
_DAY_NAMES = dict(WEEKDAYS)


@register.filter
def promotion_value(promotion: Promotion) -> str:
    """``9折``, ``每单位减 ¥0.30``, ``特价 ¥8.00``."""
    if promotion.kind == Promotion.Kind.PERCENT_OFF:
        return _("%(zhe)s折 (%(percent)s%% off)") % {
            "zhe": permille_to_zhe(promotion.value),
            "percent": permille_to_zhe(1000 - promotion.value),
        }
    if promotion.kind == Promotion.Kind.AMOUNT_OFF_PER_UNIT:
        return _("%(amount)s off per unit") % {"amount": fen_to_yuan_str(promotion.value)}
    return _("special price %(amount)s") % {"amount": fen_to_yuan_str(promotion.value)}


@register.filter
def weekday_names(days: Iterable[Any]) -> str:
    return "、".join(str(_DAY_NAMES.get(int(d), d)) for d in days or ())


@register.filter
def date_range_text(ranges: Iterable[Iterable[str]]) -> str:
    parts = []
    for first, last in (tuple(pair) for pair in ranges or ()):
        parts.append(first if first == last else f"{first} ~ {last}")
    return "、".join(parts)
