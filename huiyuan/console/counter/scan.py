"""收银台: the counter's scan page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from huiyuan.console.context import request_actor
from huiyuan.console.counter.pages import render_page, scan_error
from huiyuan.console.counter.panel import card_panel, find_card
from huiyuan.console.views import staff_view
from huiyuan.core.permissions import Perm, require


@staff_view
@require_GET
def counter(request: HttpRequest) -> HttpResponse:
    """收银台: scan a card (or type a mobile) and pick what to do with it."""
    actor = request_actor(request)
    require(actor, Perm.MEMBER_VIEW)
    query = request.GET.get("q", "").strip()
    panel = card_panel(find_card(actor, query)) if query else None
    return render_page(
        request,
        "hub.html",
        {"query": query, "panel": panel, "scan_error": scan_error(query, panel)},
    )
