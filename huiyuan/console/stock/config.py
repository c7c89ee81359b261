"""Stock settings (head office): the selling-below-zero policy and which products are kept."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.stock.common import all_stores
from huiyuan.console.stock.forms import PolicyForm, StorePolicyForm
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Perm
from huiyuan.stock import selectors, services
from huiyuan.stock.models import BelowZero, StoreStockPolicy
from huiyuan.stock.services.config import below_zero_policy_chain


@login_required
@require_http_methods(["GET", "POST"])
def stock_settings(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request, Perm.STOCK_CONFIGURE)
    stores = all_stores()
    action = request.POST.get("action") if request.method == "POST" else None
    chain_form = PolicyForm(
        request.POST if action == "chain" else None,
        initial={"below_zero": below_zero_policy_chain()},
    )
    store_form = StorePolicyForm(request.POST if action == "store" else None, stores=stores)
    try:
        if action == "chain" and chain_form.is_valid():
            services.stock_policy_set(actor=actor, below_zero=chain_form.cleaned_data["below_zero"])
            messages.success(request, _("Policy saved."))
            return redirect("console:stock_settings")
        if action == "store" and store_form.is_valid():
            data = store_form.cleaned_data
            services.stock_policy_set(
                actor=actor, below_zero=data["below_zero"] or None, store_id=data["store"]
            )
            messages.success(request, _("Policy saved."))
            return redirect("console:stock_settings")
        if action == "track":
            services.stock_item_set(
                actor=actor,
                product_id=int(pid) if (pid := request.POST.get("product_id", "")).isdigit() else 0,
                tracked=request.POST.get("tracked") == "1",
            )
            messages.success(request, _("Saved."))
            return redirect(f"{request.path}?q={request.POST.get('q', '')}")
    except DomainError as exc:
        refuse_if_forbidden(exc)
        add_domain_error(store_form if action == "store" else chain_form, exc)
    query = request.GET.get("q", "")[:60]
    own = dict(StoreStockPolicy.objects.values_list("store_id", "below_zero"))
    labels = dict(BelowZero.choices)
    return render(
        request,
        "console/stock/settings.html",
        {
            "chain_form": chain_form,
            "store_form": store_form,
            "store_rows": [(s, labels.get(own.get(s.pk, ""))) for s in stores],
            "products": selectors.tracked_products(actor=actor, query=query),
            "q": query,
        },
    )
