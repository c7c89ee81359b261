"""Quick consumption with its live quote, the receipt, and the reversal of a sale."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huiyuan.cards import selectors as card_selectors
from huiyuan.checkout import selectors as sale_selectors
from huiyuan.checkout import services as checkout
from huiyuan.checkout.models import Sale
from huiyuan.console.context import request_actor
from huiyuan.console.counter.forms import (
    CATEGORY_SUGGESTIONS,
    QuickSaleForm,
    ReverseSaleForm,
    show_domain_error,
)
from huiyuan.console.counter.pages import render_page
from huiyuan.console.counter.panel import card_panel, find_card
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError
from huiyuan.core.money import yuan_to_fen
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.points.explain import render_steps
from huiyuan.wallet.models import PaymentMethod


def _quote_from(actor: Actor, params: Any) -> checkout.SaleQuote | None:
    """A live quote from what the sale form holds so far (None while the amount is unusable)."""

    def fen(name: str) -> int:
        try:
            return max(0, yuan_to_fen(params.get(name) or "0"))
        except DomainError:
            return 0

    amount = fen("amount")
    try:
        points = max(0, int(params.get("points") or 0))
    except ValueError:
        points = 0
    found = find_card(actor, params.get("card", "")) if params.get("card") else None
    return checkout.sale_quote(
        actor=actor,
        amount_fen=amount,
        card_id=found.card.pk if found else None,
        points=points,
        balance_fen=fen("balance"),
    )


@staff_view
def quick_sale(request: HttpRequest) -> HttpResponse:
    """快速消费: scan the card, type the amount, pick how it is paid, Enter."""
    actor = request_actor(request)
    require(actor, Perm.SALE_CREATE)
    query = request.GET.get("q", "").strip()
    form = QuickSaleForm(request.POST or None)
    found = None
    if request.method == "POST":
        card_text = request.POST.get("card", "")
        found = find_card(actor, card_text) if card_text.strip() else None
        if form.is_valid():
            data = form.cleaned_data
            if data["card"] and found is None:
                form.add_error("card", _("No card with this number."))
            else:
                try:
                    sale = checkout.sale_quick(
                        actor=actor,
                        data=checkout.QuickSaleInput(
                            amount_fen=data["amount"],
                            card_id=found.card.pk if found else None,
                            category=data["category"],
                            balance_fen=data["balance"] or 0,
                            points=data["points"] or 0,
                            external_method=data["external_method"],
                        ),
                        idempotency_key=data["idempotency_key"],
                    )
                except DomainError as exc:
                    show_domain_error(form, exc)
                else:
                    return redirect("console:sale_receipt", sale_id=sale.pk)
    elif query:
        found = find_card(actor, query)
        if found is None:
            messages.warning(request, _("No card or member found for “%(q)s”.") % {"q": query})
        else:
            form = QuickSaleForm(initial={"card": found.card.number})
    quote = _quote_from(actor, request.POST) if request.method == "POST" else None
    return render_page(
        request,
        "sale.html",
        {
            "form": form,
            "panel": card_panel(found),
            "query": query if found is None else "",
            "quote": quote,
            "categories": CATEGORY_SUGGESTIONS,
            "methods": PaymentMethod.choices,
        },
    )


@staff_view
@require_GET
def sale_quote(request: HttpRequest) -> HttpResponse:
    """The sale form's live summary (an htmx partial); the sale itself decides again."""
    actor = request_actor(request)
    require(actor, Perm.SALE_CREATE)
    quote = _quote_from(actor, request.GET)
    return render(
        request,
        "console/counter/sale.html#quote",
        {"quote": quote, "has_card": bool(request.GET.get("card"))},
    )


# ---------------------------------------------------------------------------- receipts


def _sale_or_404(actor: Actor, sale_id: int) -> Sale:
    sale = sale_selectors.sale_get(actor=actor, sale_id=sale_id)
    if sale is None:
        raise Http404(_("Sale not found."))
    return sale


def _receipt(
    request: HttpRequest, actor: Actor, sale: Sale, form: ReverseSaleForm | None = None
) -> HttpResponse:
    explanation = sale.earn_explanation or {}
    now = (
        card_selectors.card_get(actor=actor, card_id=sale.card_id)
        if sale.card_id is not None
        else None
    )
    return render_page(
        request,
        "receipt.html",
        {
            "sale": sale,
            "method_label": dict(PaymentMethod.choices).get(
                sale.external_method, sale.external_method
            ),
            "after": sale_selectors.sale_balances_after(sale),
            "now": now,
            "steps": render_steps(explanation.get("steps")),
            "rule": explanation.get("rule"),
            "reverse_form": form or ReverseSaleForm(),
        },
    )


@staff_view
@require_GET
def sale_receipt(request: HttpRequest, sale_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.MEMBER_VIEW)
    return _receipt(request, actor, _sale_or_404(actor, sale_id))


@staff_view
@require_POST
def sale_reverse(request: HttpRequest, sale_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.SALE_REVERSE)
    sale = _sale_or_404(actor, sale_id)
    form = ReverseSaleForm(request.POST)
    if form.is_valid():
        try:
            checkout.sale_reverse(
                actor=actor,
                sale_id=sale.pk,
                reason=form.cleaned_data["reason"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Sale %(number)s reversed; balances and points are restored.")
                % {"number": sale.number},
            )
            return redirect("console:sale_receipt", sale_id=sale.pk)
    return _receipt(request, actor, sale, form)
