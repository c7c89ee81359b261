"""Card types (卡类型)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from huiyuan.cards import selectors as card_selectors
from huiyuan.cards import services as card_services
from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.config.forms.card_types import CardTypeForm
from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Perm
from huiyuan.wallet.models import WalletPolicy


@login_required
def card_types(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request, Perm.CARD_CONFIGURE)
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
    types = card_selectors.card_types(active_only=False).annotate(card_count=Count("cards"))
    policy = WalletPolicy.current()
    return render(
        request,
        "console/config/card_types.html",
        {
            "card_types": types,
            "form": form,
            "limits": {
                "named": fen_to_yuan_str(policy.named_limit_fen),
                "anonymous": fen_to_yuan_str(policy.anonymous_limit_fen),
            },
        },
    )
