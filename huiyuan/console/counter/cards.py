"""Card pages: issue, report lost, found, renew, cancel, reissue."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from huiyuan.cards import selectors as card_selectors
from huiyuan.cards import services as card_services
from huiyuan.console.context import request_actor
from huiyuan.console.counter.forms import (
    CardFoundForm,
    CardReasonForm,
    IssueCardForm,
    ReissueForm,
    RenewForm,
    show_domain_error,
)
from huiyuan.console.counter.pages import after_card_action, balances_line, card_or_404, render_page
from huiyuan.console.counter.panel import card_panel
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Perm, require
from huiyuan.members import selectors as member_selectors
from huiyuan.tiers import selectors as tier_selectors


@staff_view
def card_issue(request: HttpRequest, member_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.CARD_ISSUE)
    member = member_selectors.member_get(actor=actor, member_id=member_id)
    if member is None:
        raise Http404(_("Member not found."))
    types = list(card_selectors.card_types())
    default = tier_selectors.default_card_type_id()  # chosen on the card types page
    initial = {"card_type": str(default)} if any(t.pk == default for t in types) else {}
    form = IssueCardForm(request.POST or None, card_types=types, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            card = card_services.card_issue(
                actor=actor,
                card_type_id=form.cleaned_data["card_type"],
                member_id=member.pk,
                number=form.cleaned_data["number"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Card %(number)s (%(type)s) issued.")
                % {"number": card.number, "type": card.card_type.name},
            )
            return redirect("console:member_detail", member_id=member.pk)
    return render_page(request, "issue.html", {"form": form, "member": member, "card_types": types})


# ------------------------------------------------------------------------ card lifecycle


def _card_action(
    request: HttpRequest,
    card_id: int,
    *,
    form_class: type[Any],
    perform: Any,
    done: Any,
    page: dict[str, Any],
) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.CARD_MANAGE)
    balances = card_or_404(actor, card_id)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = perform(actor, balances.card, form.cleaned_data)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, done(result))
            return after_card_action(request, result)
    return render_page(
        request, "card_action.html", {"form": form, "panel": card_panel(balances), "page": page}
    )


@staff_view
def card_report_lost(request: HttpRequest, card_id: int) -> HttpResponse:
    return _card_action(
        request,
        card_id,
        page={
            "title": _("Report a card lost"),
            "intro": _("The card is blocked at once for every use, until it is found or reissued."),
            "button": _("Report lost"),
            "style": "danger",
            "icon": "ti-lock",
        },
        form_class=CardReasonForm,
        perform=lambda actor, card, data: card_services.card_report_lost(
            actor=actor, card_id=card.pk, reason=data["reason"]
        ),
        done=lambda card: (
            _("Card %(number)s is reported lost and blocked.") % {"number": card.number}
        ),
    )


@staff_view
def card_found(request: HttpRequest, card_id: int) -> HttpResponse:
    return _card_action(
        request,
        card_id,
        page={
            "title": _("Card found"),
            "intro": _("The card can be used again at once."),
            "button": _("Unblock the card"),
            "style": "success",
            "icon": "ti-lock-open",
        },
        form_class=CardFoundForm,
        perform=lambda actor, card, data: card_services.card_unreport_lost(
            actor=actor, card_id=card.pk, reason=data["reason"]
        ),
        done=lambda card: _("Card %(number)s is unblocked.") % {"number": card.number},
    )


@staff_view
def card_renew(request: HttpRequest, card_id: int) -> HttpResponse:
    return _card_action(
        request,
        card_id,
        page={
            "title": _("Renew a card"),
            "intro": _("Validity is extended from today, or from the current expiry if later."),
            "button": _("Renew"),
            "style": "primary",
            "icon": "ti-calendar-plus",
        },
        form_class=RenewForm,
        perform=lambda actor, card, data: card_services.card_renew(
            actor=actor, card_id=card.pk, months=data["months"]
        ),
        done=lambda card: (
            _("Card %(number)s is valid until %(date)s.")
            % {"number": card.number, "date": f"{card.expires_at:%Y-%m-%d}"}
        ),
    )


@staff_view
def card_cancel(request: HttpRequest, card_id: int) -> HttpResponse:
    return _card_action(
        request,
        card_id,
        page={
            "title": _("Cancel a card"),
            "intro": _(
                "A card that still holds stored value, bonus or points cannot be cancelled: "
                "refund or use them first."
            ),
            "button": _("Cancel the card"),
            "style": "danger",
            "icon": "ti-credit-card-off",
        },
        form_class=CardReasonForm,
        perform=lambda actor, card, data: card_services.card_cancel(
            actor=actor, card_id=card.pk, reason=data["reason"]
        ),
        done=lambda card: _("Card %(number)s is cancelled.") % {"number": card.number},
    )


@staff_view
def card_reissue(request: HttpRequest, card_id: int) -> HttpResponse:
    """补卡: a new card takes over balance, bonus and points; the old one is void."""
    actor = request_actor(request)
    require(actor, Perm.CARD_MANAGE)
    balances = card_or_404(actor, card_id)
    form = ReissueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new = card_services.card_reissue(
                actor=actor,
                card_id=balances.card.pk,
                idempotency_key=form.cleaned_data["idempotency_key"],
                number=form.cleaned_data["number"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            moved = card_or_404(actor, new.pk)
            messages.success(
                request,
                _("Card %(old)s reissued as %(new)s; moved to the new card: %(moved)s.")
                % {"old": balances.card.number, "new": new.number, "moved": balances_line(moved)},
            )
            return after_card_action(request, new)
    return render_page(request, "card_reissue.html", {"form": form, "panel": card_panel(balances)})
