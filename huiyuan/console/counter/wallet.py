"""Stored value at the counter: recharge and refund."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from huiyuan.console.context import request_actor
from huiyuan.console.counter.forms import (
    AUTHORISATION_CODES,
    RechargeForm,
    RefundForm,
    show_domain_error,
)
from huiyuan.console.counter.pages import (
    after_card_action,
    balances_line,
    card_or_404,
    posted_card_text,
    render_page,
    safe_next,
    scan_error,
    store_picker,
)
from huiyuan.console.counter.panel import card_panel, find_card
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Perm, require
from huiyuan.wallet import selectors as wallet_selectors
from huiyuan.wallet import services as wallet_services


@staff_view
def recharge(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.WALLET_RECHARGE)
    picker = store_picker(request, actor)
    if picker is not None:
        return picker
    packages = wallet_selectors.recharge_packages()
    initial = {"card": request.GET.get("card", "")}
    form = RechargeForm(request.POST or None, packages=packages, initial=initial)
    card_text = posted_card_text(request)
    found = find_card(actor, card_text) if card_text else None
    panel = card_panel(found)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if found is None:
            form.add_error("card", _("No card with this number."))
        else:
            try:
                done = wallet_services.wallet_recharge(
                    actor=actor,
                    card_id=found.card.pk,
                    amount_fen=data["amount"],
                    method=data["method"],
                    package_id=data["package"],
                    idempotency_key=data["idempotency_key"],
                )
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                after = card_or_404(actor, found.card.pk)
                values = {
                    "amount": fen_to_yuan_str(done.principal_fen),
                    "bonus": fen_to_yuan_str(done.bonus_fen),
                    "number": found.card.number,
                    "now": balances_line(after),
                }
                if done.bonus_fen:
                    text = _(
                        "Recharged %(amount)s to card %(number)s with %(bonus)s bonus. "
                        "Now: %(now)s."
                    )
                else:
                    text = _("Recharged %(amount)s to card %(number)s. Now: %(now)s.")
                messages.success(request, text % values)
                target = safe_next(request)
                if target:
                    return HttpResponseRedirect(target)
                return redirect("console:recharge_slip", recharge_id=done.pk)
    return render_page(
        request,
        "recharge.html",
        {
            "form": form,
            "panel": panel,
            "packages": packages,
            "scan_error": scan_error(card_text, panel, form),
        },
    )


@staff_view
def refund(request: HttpRequest) -> HttpResponse:
    """退款: by a manager, or by a cashier with a manager's authorisation on the spot."""
    actor = request_actor(request)
    authorise = not actor.has(Perm.WALLET_REFUND)
    require(actor, Perm.WALLET_RECHARGE if authorise else Perm.WALLET_REFUND)
    picker = store_picker(request, actor)
    if picker is not None:
        return picker
    initial = {"card": request.GET.get("card", "")}
    form = RefundForm(request.POST or None, initial=initial, authorise=authorise)
    card_text = posted_card_text(request)
    found = find_card(actor, card_text) if card_text else None
    panel = card_panel(found)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if found is None:
            form.add_error("card", _("No card with this number."))
        else:
            try:
                done = wallet_services.wallet_refund(
                    actor=actor,
                    card_id=found.card.pk,
                    amount_fen=data["amount"],
                    method=data["method"],
                    reason=data["reason"],
                    idempotency_key=data["idempotency_key"],
                    authorised_by=form.authorisation(request),
                )
            except DomainError as exc:
                if authorise and exc.code in AUTHORISATION_CODES:
                    form.add_error("manager_username", str(exc.message))
                else:
                    show_domain_error(form, exc)
            else:
                after = card_or_404(actor, found.card.pk)
                messages.success(
                    request,
                    _(
                        "Refunded %(amount)s from card %(number)s (bonus taken back %(bonus)s). "
                        "Now: %(now)s."
                    )
                    % {
                        "amount": fen_to_yuan_str(done.principal_fen),
                        "number": found.card.number,
                        "bonus": fen_to_yuan_str(done.bonus_clawback_fen),
                        "now": balances_line(after),
                    }
                    + (
                        " "
                        + _("Authorised by %(manager)s.") % {"manager": data["manager_username"]}
                        if authorise
                        else ""
                    ),
                )
                return after_card_action(request, found.card)
    return render_page(
        request,
        "refund.html",
        {
            "form": form,
            "panel": panel,
            "scan_error": scan_error(card_text, panel, form),
            "authorise": authorise,
        },
    )
