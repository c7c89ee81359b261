"""Points at the counter: adjustment by hand, and supplementary points for a walk-in sale."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from huiyuan.checkout import services as checkout
from huiyuan.console.context import request_actor
from huiyuan.console.counter.forms import PointsAdjustForm, SupplementForm, show_domain_error
from huiyuan.console.counter.pages import (
    after_card_action,
    card_or_404,
    posted_card_text,
    render_page,
    scan_error,
    store_picker,
)
from huiyuan.console.counter.panel import card_panel, find_card
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Perm, require
from huiyuan.points import services as points_services


@staff_view
def points_adjust(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.POINTS_ADJUST)
    picker = store_picker(request, actor)
    if picker is not None:
        return picker
    initial = {"card": request.GET.get("card", "")}
    form = PointsAdjustForm(request.POST or None, initial=initial)
    card_text = posted_card_text(request)
    found = find_card(actor, card_text) if card_text else None
    panel = card_panel(found)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if found is None:
            form.add_error("card", _("No card with this number."))
        else:
            try:
                points_services.points_adjust(
                    actor=actor,
                    card_id=found.card.pk,
                    delta=data["delta"],
                    reason=data["reason"],
                    idempotency_key=data["idempotency_key"],
                )
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                after = card_or_404(actor, found.card.pk)
                messages.success(
                    request,
                    _("Points of card %(number)s adjusted by %(delta)s; now %(points)s.")
                    % {
                        "number": found.card.number,
                        "delta": f"{data['delta']:+,}",
                        "points": f"{after.points:,}",
                    },
                )
                return after_card_action(request, found.card)
    return render_page(
        request,
        "points_adjust.html",
        {"form": form, "panel": panel, "scan_error": scan_error(card_text, panel, form)},
    )


@staff_view
def supplement_points(request: HttpRequest) -> HttpResponse:
    """补积分: credit a walk-in sale to a member's card."""
    actor = request_actor(request)
    require(actor, Perm.SALE_CREATE)
    picker = store_picker(request, actor)
    if picker is not None:
        return picker
    initial = {"card": request.GET.get("card", ""), "receipt": request.GET.get("receipt", "")}
    form = SupplementForm(request.POST or None, initial=initial)
    card_text = posted_card_text(request)
    found = find_card(actor, card_text) if card_text else None
    panel = card_panel(found)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if found is None:
            form.add_error("card", _("No card with this number."))
        else:
            try:
                sale = checkout.sale_supplement_points(
                    actor=actor,
                    sale_number=data["receipt"],
                    card_id=found.card.pk,
                    idempotency_key=data["idempotency_key"],
                )
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(points)s points added to card %(number)s.")
                    % {"points": f"{sale.points_earned:,}", "number": found.card.number},
                )
                return redirect("console:sale_receipt", sale_id=sale.pk)
    return render_page(
        request,
        "supplement.html",
        {"form": form, "panel": panel, "scan_error": scan_error(card_text, panel, form)},
    )
