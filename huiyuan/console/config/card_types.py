"""Card types (卡类型)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from huiyuan.cards import card_types as card_type_edits
from huiyuan.cards import selectors as card_selectors
from huiyuan.cards import services as card_services
from huiyuan.cards.models import CardType
from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.config.forms.card_types import (
    CardTypeEditForm,
    CardTypeForm,
    DefaultCardTypeForm,
)
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Perm
from huiyuan.core.xlsx import Column
from huiyuan.tiers import selectors as tier_selectors
from huiyuan.tiers import services as tier_services
from huiyuan.wallet.models import WalletPolicy

EXPORT_COLUMNS: tuple[Column[CardType], ...] = (
    Column(gettext_lazy("Code"), lambda t: t.code, width=12),
    Column(pgettext_lazy("thing", "Name"), lambda t: t.name, width=14),
    Column(gettext_lazy("Category"), lambda t: t.get_category_display(), width=10),
    Column(gettext_lazy("Holding"), lambda t: t.get_holding_display(), width=10),
    Column(gettext_lazy("Anonymous"), lambda t: _("Yes") if t.anonymous else _("No"), width=8),
    Column(gettext_lazy("Valid for (months)"), lambda t: t.validity_months, "number", 10),
    Column(gettext_lazy("Cards"), lambda t: getattr(t, "card_count", None), "number", 8),
    Column(
        gettext_lazy("Status"),
        lambda t: _("Enabled") if t.is_active else _("Disabled"),
        width=8,
    ),
)


@login_required
def card_types(request: HttpRequest) -> HttpResponseBase:
    actor = acting_staff(request, Perm.CARD_CONFIGURE)
    if request.method == "GET" and wants_xlsx(request):
        types = card_selectors.card_types(active_only=False).annotate(card_count=Count("cards"))
        return xlsx_download(
            name="card-types",
            title=_("Card types"),
            columns=EXPORT_COLUMNS,
            rows=types.iterator(chunk_size=1000),
        )
    form = CardTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            card_type = card_services.card_type_create(actor=actor, **form.cleaned_data)
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Card type %(name)s created.") % {"name": card_type.name})
            return redirect("console:config_card_types")
    return _card_types_page(request, form)


def _card_types_page(
    request: HttpRequest,
    form: CardTypeForm,
    default_form: DefaultCardTypeForm | None = None,
) -> HttpResponse:
    types = list(card_selectors.card_types(active_only=False).annotate(card_count=Count("cards")))
    policy = WalletPolicy.current()
    default_id = tier_selectors.default_card_type_id()
    return render(
        request,
        "console/config/card_types.html",
        {
            "card_types": types,
            "default_id": default_id,
            "default_form": default_form
            or DefaultCardTypeForm(initial={"card_type": default_id}, card_types=types),
            "form": form,
            "limits": {
                "named": fen_to_yuan_str(policy.named_limit_fen),
                "anonymous": fen_to_yuan_str(policy.anonymous_limit_fen),
            },
        },
    )


@login_required
@require_POST
def card_type_default(request: HttpRequest) -> HttpResponse:
    """Choose the card type preselected when a card is issued."""
    actor = acting_staff(request, Perm.CARD_CONFIGURE)
    types = list(card_selectors.card_types(active_only=False))
    form = DefaultCardTypeForm(request.POST, card_types=types)
    if form.is_valid():
        try:
            tier_services.default_card_type_set(
                actor=actor, card_type_id=form.cleaned_data["card_type"]
            )
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(form, exc, aliases={"card_type_id": "card_type"})
        else:
            messages.success(request, _("The default card type at issue has been saved."))
            return redirect("console:config_card_types")
    return _card_types_page(request, CardTypeForm(), form)


@login_required
def card_type_edit(request: HttpRequest, card_type_id: int) -> HttpResponse:
    """Edit a card type, the form filled with what it is now."""
    actor = acting_staff(request, Perm.CARD_CONFIGURE)
    card_type = card_selectors.card_types(active_only=False).filter(pk=card_type_id).first()
    if card_type is None:
        raise Http404(_("Unknown card type."))
    form = CardTypeEditForm(request.POST or None, initial=CardTypeEditForm.initial_for(card_type))
    if request.method == "POST" and form.is_valid():
        try:
            saved = card_type_edits.card_type_update(
                actor=actor, card_type_id=card_type.pk, **form.cleaned_data
            )
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Card type %(name)s saved.") % {"name": saved.name})
            return redirect("console:config_card_types")
    issued = (
        card_selectors.card_types(active_only=False)
        .filter(pk=card_type.pk, cards__isnull=False)
        .exists()
    )
    return render(
        request,
        "console/config/card_type_edit.html",
        {"card_type": card_type, "form": form, "issued": issued},
    )
