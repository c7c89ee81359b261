"""Further holders of a family, linked or group card, who share its one wallet."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from huiyuan.cards import selectors as card_selectors
from huiyuan.cards import services as card_services
from huiyuan.console.context import request_actor
from huiyuan.console.counter.forms import AddHolderForm, show_domain_error
from huiyuan.console.counter.pages import after_card_action, card_or_404, render_page
from huiyuan.console.counter.panel import card_panel
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.members import selectors as member_selectors
from huiyuan.members.models import Member


def _holder_lookup(actor: Actor, form: AddHolderForm) -> Member | None:
    """The one member a member number or mobile finds; otherwise an error on the form."""
    text = form.cleaned_data["member"]
    found = member_selectors.member_lookup(actor=actor, query=text, limit=2)
    exact = [m for m in found if m.code == text]
    if len(exact) == 1:
        found = exact
    if not found:
        form.add_error(
            "member", _("No member with the member number or mobile “%(q)s”.") % {"q": text}
        )
        return None
    if len(found) > 1:
        form.add_error(
            "member",
            _("More than one member matches “%(q)s”: enter the full member number or mobile.")
            % {"q": text},
        )
        return None
    return found[0]


@staff_view
def card_add_holder(request: HttpRequest, card_id: int) -> HttpResponse:
    """添加持卡人: a further member shares a family, linked or group card's wallet."""
    actor = request_actor(request)
    require(actor, Perm.CARD_ISSUE)
    balances = card_or_404(actor, card_id)
    card = balances.card
    form = AddHolderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        member = _holder_lookup(actor, form)
        if member is not None:
            try:
                card_services.card_add_holder(actor=actor, card_id=card.pk, member_id=member.pk)
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(name)s (%(code)s) now shares card %(number)s.")
                    % {"name": member.name, "code": member.code, "number": card.number},
                )
                return after_card_action(request, card)
    holders = card_selectors.card_holders(actor=actor, cards=[card]).get(card.pk, [])
    page = {
        "title": _("Add a card holder"),
        "intro": _(
            "The new holder shares this card's principal, bonus and points; the card stays "
            "with its primary holder."
        ),
        "button": _("Add holder"),
        "style": "primary",
        "icon": "ti-user-plus",
    }
    return render_page(
        request,
        "card_action.html",
        {"form": form, "panel": card_panel(balances, holders=holders), "page": page},
    )
