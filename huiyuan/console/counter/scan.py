"""收银台: the counter's scan page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from huiyuan.console.context import request_actor
from huiyuan.console.counter.pages import render_page, scan_error
from huiyuan.console.counter.panel import card_panel, find_card
from huiyuan.console.views import staff_view
from huiyuan.core.permissions import Perm, require


@staff_view
@require_http_methods(["GET", "POST"])
def counter(request: HttpRequest) -> HttpResponse:
    """收银台: scan a card (or type a mobile) and pick what to do with it.

    The scan box posts what it read, so a mobile typed in stays out of URLs and access
    logs; ``?q=<card number>`` still opens a card (links back to the counter use it).
    """
    actor = request_actor(request)
    require(actor, Perm.MEMBER_VIEW)
    source = request.POST if request.method == "POST" else request.GET
    query = str(source.get("q", "")).strip()[:50]
    panel = card_panel(find_card(actor, query)) if query else None
    return render_page(
        request,
        "hub.html",
        {"query": query, "panel": panel, "scan_error": scan_error(query, panel)},
    )
