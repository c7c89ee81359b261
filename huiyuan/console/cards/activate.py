"""Activating a pre-made card at the counter (卡密激活): number, secret code, member."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from huiyuan.cards import selectors as card_selectors
from huiyuan.cards.activation import card_activate
from huiyuan.console.cards.forms import ActivateForm, show_error
from huiyuan.console.context import request_actor
from huiyuan.console.views import staff_view
from huiyuan.core.client import client_ip
from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.members import selectors as member_selectors
from huiyuan.members.models import Member


def _member(actor: Actor, form: ActivateForm) -> tuple[bool, Member | None]:
    """(found or not asked for, the member): the one member a number or mobile finds."""
    text = "".join(form.cleaned_data["member"].split())
    if not text:
        return True, None
    found = member_selectors.member_lookup(actor=actor, query=text, limit=2)
    exact = [m for m in found if m.code == text]
    if len(exact) == 1:
        found = exact
    if len(found) == 1:
        return True, found[0]
    if not found:
        form.add_error(
            "member", _("No member with the member number or mobile “%(q)s”.") % {"q": text}
        )
    else:
        form.add_error(
            "member",
            _("More than one member matches “%(q)s”: enter the full member number or mobile.")
            % {"q": text},
        )
    return False, None


@sensitive_post_parameters("code")
@staff_view
def activate(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.CARD_ACTIVATE)
    initial = {"card": request.GET.get("card", ""), "member": request.GET.get("member", "")}
    form = ActivateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        ok, member = _member(actor, form)
        if ok:
            try:
                entry = card_activate(
                    actor=actor,
                    card_number=form.cleaned_data["card"],
                    code=form.cleaned_data["code"],
                    member_id=member.pk if member else None,
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    client_address=client_ip(request) or "",
                )
            except DomainError as exc:
                show_error(form, exc)
            else:
                card = card_selectors.card_balances(entry.card)
                values = {
                    "number": card.card.number,
                    "amount": fen_to_yuan_str(card.principal),
                }
                if member is not None:
                    messages.success(
                        request,
                        _("Card %(number)s activated with %(amount)s of stored value.") % values,
                    )
                    return redirect("console:member_detail", member_id=member.pk)
                messages.success(
                    request,
                    _("Card %(number)s activated as a bearer card with %(amount)s of stored value.")
                    % values,
                )
                return HttpResponseRedirect(f"{reverse('console:counter')}?q={card.card.number}")
    return render(request, "console/cards/activate.html", {"form": form})
