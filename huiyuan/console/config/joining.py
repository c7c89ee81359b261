"""The joining policy page (自动入会, M2): when a walk-in customer becomes a member."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from huiyuan.checkout import services as checkout
from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.config.forms.joining import JoiningPolicyForm
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Perm


@login_required
def joining_policy(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request, Perm.MEMBER_CONFIGURE)
    policy = checkout.joining_policy()
    form = JoiningPolicyForm(request.POST or None, initial=JoiningPolicyForm.initial_for(policy))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            checkout.joining_policy_set(
                actor=actor,
                mode=data["mode"],
                threshold_fen=data["threshold"] or 0,
                fee_fen=data["fee"] or 0,
                card_type_id=data["card_type"].pk if data["card_type"] else None,
            )
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(
                form,
                exc,
                aliases={
                    "threshold_fen": "threshold",
                    "fee_fen": "fee",
                    "card_type_id": "card_type",
                },
            )
        else:
            messages.success(request, _("The joining rules have been saved."))
            return redirect("console:config_joining")
    return render(request, "console/config/joining.html", {"form": form})
