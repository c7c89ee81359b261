"""``{% benefit_badge member %}``: the member's benefit card in force, for the counter's card
panel (what is active until when)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from huiyuan.benefits.services import in_force
from huiyuan.core.clock import local_date

register = template.Library()


@register.inclusion_tag("console/benefits/_badge.html")
def benefit_badge(member: Any) -> dict[str, Any]:
    if member is None or getattr(member, "pk", None) is None:
        return {"benefit": None}
    return {"benefit": in_force(member.pk, local_date(timezone.now()))}
