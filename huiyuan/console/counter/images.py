"""A card's QR code and barcode, as SVG."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from huiyuan.cards import images as card_images
from huiyuan.console.context import request_actor
from huiyuan.console.counter.pages import card_or_404
from huiyuan.console.views import staff_view
from huiyuan.core.permissions import Perm, require


@staff_view
@require_GET
def card_qr(request: HttpRequest, card_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.MEMBER_VIEW)
    card = card_or_404(actor, card_id).card
    response = HttpResponse(card_images.qr_svg(card.number), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@staff_view
@require_GET
def card_barcode(request: HttpRequest, card_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.MEMBER_VIEW)
    card = card_or_404(actor, card_id).card
    response = HttpResponse(card_images.barcode_svg(card.number), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=86400"
    return response
