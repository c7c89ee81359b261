"""What every counter page shares: rendering with the staff member's permissions, where
to go after an action, the card the page is about."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from huiyuan.cards import selectors as card_selectors
from huiyuan.cards.models import Card
from huiyuan.cards.selectors import CardBalances
from huiyuan.console.context import request_actor, switchable_stores
from huiyuan.console.counter.panel import CardPanel
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor, Perm
from huiyuan.selfservice.cardcode import looks_like_card_code
from huiyuan.stores.models import Staff


def safe_next(request: HttpRequest) -> str:
    """Where the form says to go back to, if it is on this site (otherwise "")."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def card_or_404(actor: Actor, card_id: int) -> CardBalances:
    """The card with its balances, or a 404 page."""
    found = card_selectors.card_get(actor=actor, card_id=card_id)
    if found is None:
        raise Http404(_("Card not found."))
    return found


def counter_perms(actor: Actor) -> dict[str, bool]:
    """What the staff member may do at the counter, for the templates' ``may``."""
    return {
        "card_issue": actor.has(Perm.CARD_ISSUE),
        "card_manage": actor.has(Perm.CARD_MANAGE),
        "recharge": actor.has(Perm.WALLET_RECHARGE),
        # A cashier refunds with a manager's authorisation (the refund page asks for it).
        "refund": actor.has(Perm.WALLET_REFUND) or actor.has(Perm.WALLET_RECHARGE),
        "sale": actor.has(Perm.SALE_CREATE),
        "reverse": actor.has(Perm.SALE_REVERSE),
        "points_adjust": actor.has(Perm.POINTS_ADJUST),
        "tier_move": actor.has(Perm.TIER_MOVE),
    }


def after_card_action(request: HttpRequest, card: Card) -> HttpResponse:
    """Back to ``next``, else to the card's member, else to the counter with the card."""
    target = safe_next(request)
    if target:
        return HttpResponseRedirect(target)
    if card.member_id:
        return redirect("console:member_detail", member_id=card.member_id)
    return HttpResponseRedirect(f"{reverse('console:counter')}?q={card.number}")


def render_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """Render ``console/counter/<template>`` with ``may`` and ``next``."""
    actor = request_actor(request)
    return render(
        request,
        f"console/counter/{template}",
        {"may": counter_perms(actor), "next": safe_next(request), **context},
    )


def store_picker(request: HttpRequest, actor: Actor) -> HttpResponse | None:
    """A page asking which store to work at, for a head-office user working across all
    stores: every counter operation is booked at one store and refused without one."""
    if actor.store_id is not None:
        return None
    staff = request.user
    stores = switchable_stores(staff) if isinstance(staff, Staff) else []
    return render_page(
        request, "store_picker.html", {"stores": stores, "here": request.get_full_path()}
    )


def posted_card_text(request: HttpRequest) -> str:
    """The card the page is about: posted with the form, or scanned into ``?card=``."""
    source = request.POST if request.method == "POST" else request.GET
    return str(source.get("card", "")).strip()[:50]


def scan_error(text: str, panel: CardPanel | None, form: Any = None) -> str:
    """Why the scanned text found no card ("" when it did, or nothing was scanned)."""
    if form is not None and form.is_bound and form.errors.get("card"):
        return str(form.errors["card"][0])
    if not text or panel is not None:
        return ""
    if looks_like_card_code(text):  # the member portal's rotating code, past its minute
        return _("This member code has expired. Ask the member to show the code again.")
    return _("No card or member found for “%(q)s”.") % {"q": text}


def balances_line(balances: CardBalances) -> str:
    """ "principal ¥…, bonus ¥…, points …" for a success message."""
    return _("principal %(principal)s, bonus %(bonus)s, points %(points)s") % {
        "principal": fen_to_yuan_str(balances.principal),
        "bonus": fen_to_yuan_str(balances.bonus),
        "points": f"{balances.points:,}",
    }
