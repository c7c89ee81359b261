"""The counter's scan box: what to offer when a scan found no single card."""

from __future__ import annotations

from typing import Any

from django import template

from huiyuan.console.context import request_actor
from huiyuan.console.counter.choices import scan_choices
from huiyuan.console.counter.panel import find_card

register = template.Library()


@register.inclusion_tag("console/counter/_scan_choices.html", takes_context=True)
def scan_offers(context: Any, text: str, error: str) -> dict[str, Any]:
    """The scan's error, or — when ``text`` found no card — members to pick from, a card to
    issue or a member to register instead."""
    actor = request_actor(context["request"])
    offers = None
    if text and find_card(actor, text) is None:
        offers = scan_choices(actor, text)
    return {
        "error": error,
        "offers": offers,
        "action": context.get("action", ""),
        "method": context.get("method") or "get",
        "name": context.get("name") or "card",
        "next": context.get("next", ""),
        "csrf_token": context.get("csrf_token"),
    }
