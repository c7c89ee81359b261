"""``{% saved_filters "member_list" %}``: the staff member's saved filters of a list as
links, and a small form that saves the filter shown under a name."""

from __future__ import annotations

from typing import Any

from django import template

from huiyuan.console.savedfilters import clean_query, saved_filters_of

register = template.Library()


@register.inclusion_tag("console/includes/saved_filters.html", takes_context=True)
def saved_filters(context: template.Context, page: str) -> dict[str, Any]:
    request = context["request"]
    current = clean_query(request.GET.urlencode())
    return {
        "page": page,
        "filters": saved_filters_of(request.user.pk, page),
        "current": current,
        "csrf_token": context.get("csrf_token"),
    }
