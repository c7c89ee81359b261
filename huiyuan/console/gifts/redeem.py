"""Redeem a gift at the counter (积分兑换): find the card, choose the gift, redeem."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from huiyuan.console.context import request_actor
from huiyuan.console.counter.pages import counter_perms, posted_card_text, scan_error
from huiyuan.console.counter.panel import card_panel, find_card
from huiyuan.console.gifts.common import show_error
from huiyuan.console.gifts.forms import RedeemForm
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Perm, require
from huiyuan.gifts import selectors, services


@staff_view
def counter_redeem(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.GIFT_REDEEM)
    gifts = list(selectors.gifts_on_offer())
    initial = {"card": request.GET.get("card", ""), "gift": request.GET.get("gift", "")}
    form = RedeemForm(request.POST or None, initial=initial, gifts=gifts)
    card_text = posted_card_text(request)
    found = find_card(actor, card_text) if card_text else None
    panel = card_panel(found)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if found is None:
            form.add_error("card", _("No card with this number."))
        else:
            try:
                redemption = services.gift_redeem(
                    actor=actor,
                    card_id=found.card.pk,
                    gift_id=data["gift"],
                    quantity=data["quantity"],
                    cash_method=data.get("cash_method") or "",
                    idempotency_key=data["idempotency_key"],
                )
            except DomainError as exc:
                show_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Redeemed %(qty)s × %(gift)s for %(points)s points.")
                    % {
                        "qty": redemption.quantity,
                        "gift": redemption.gift.name,
                        "points": f"{redemption.points:,}",
                    },
                )
                url = reverse("console:gift_redeem")
                return HttpResponseRedirect(f"{url}?card={found.card.number}")
    return render(
        request,
        "console/gifts/redeem.html",
        {
            "form": form,
            "panel": panel,
            # Points pay for the gift: what blocks a sale or paying from the card blocks it
            # (a lost card, spending frozen…), shown with its reason; the service refuses too.
            "redeem_block": (
                (panel.state.blocks.get("sale") or panel.state.blocks.get("pay_from_card") or "")
                if panel
                else ""
            ),
            "gifts": gifts,
            "may": counter_perms(actor),
            "scan_error": scan_error(card_text, panel, form),
            "recent": (
                list(
                    selectors.redemption_list(
                        actor=actor,
                        filters=selectors.RedemptionFilters(card_id=found.card.pk),
                    )[:5]
                )
                if found
                else []
            ),
        },
    )
