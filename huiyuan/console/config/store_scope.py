"""The store-scope policy page (通存通兑): what a store may do to another store's card."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.config.forms.store_scope import StoreScopePolicyForm
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Perm
from huiyuan.stores import services as store_services
from huiyuan.stores.scope import OPS, REACH_LABELS, scope_policy


@login_required
def store_scope_policy(request: HttpRequest) -> HttpResponse:
    """Owner and head office choose, per operation, where another store's card may be served."""
    actor = acting_staff(request, Perm.STORE_MANAGE)
    policy = scope_policy()
    form = StoreScopePolicyForm(
        request.POST or None, initial=StoreScopePolicyForm.initial_for(policy)
    )
    if request.method == "POST" and form.is_valid():
        try:
            store_services.store_scope_policy_update(actor=actor, rules=form.rules())
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The store-scope policy has been saved."))
            return redirect("console:config_store_scope")
    fixed = [
        {"label": spec.label, "reach": REACH_LABELS[spec.default], "why": spec.why}
        for spec in OPS.values()
        if not spec.configurable
    ]
    return render(request, "console/config/store_scope.html", {"form": form, "fixed": fixed})
