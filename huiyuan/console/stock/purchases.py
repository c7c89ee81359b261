"""Purchase-in (进货): the list of receipts and the form that receives goods."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config.common import refuse_if_forbidden
from huiyuan.console.stock.common import PAGE_SIZE, my_stores, stock_viewer
from huiyuan.console.stock.forms import PurchaseForm, PurchaseLineFormSet
from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.stock import selectors, services


@login_required
def purchase_list(request: HttpRequest) -> HttpResponse:
    actor, rights = stock_viewer(request)
    qs = selectors.purchase_list(actor=actor).prefetch_related("lines__product")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "console/stock/purchases.html", {"page": page, "rights": rights})


@login_required
@require_http_methods(["GET", "POST"])
def purchase_create(request: HttpRequest) -> HttpResponse:
    actor, rights = stock_viewer(request)
    if not rights.manage:
        raise PermissionDenied
    stores = my_stores(actor)
    form = PurchaseForm(request.POST or None, stores=stores, initial={"store": actor.store_id})
    lines = PurchaseLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        picked = [line.line() for line in lines.forms]
        chosen = [p for p in picked if p is not None]
        if not chosen:
            form.add_error(None, _("Add at least one product."))
        else:
            data = form.cleaned_data
            try:
                purchase = services.purchase_receive(
                    actor=actor,
                    store_id=data["store"],
                    supplier=data["supplier"],
                    note=data["note"],
                    lines=[services.PurchaseLineInput(*line) for line in chosen],
                    idempotency_key=data["idempotency_key"],
                )
            except DomainError as exc:
                refuse_if_forbidden(exc)
                add_domain_error(form, exc, aliases={"store_id": "store"})
            else:
                messages.success(
                    request,
                    _("Goods received: %(lines)s lines, cost %(cost)s.")
                    % {"lines": len(chosen), "cost": fen_to_yuan_str(purchase.total_cost_fen)},
                )
                return redirect("console:stock_purchases")
    return render(
        request,
        "console/stock/purchase_form.html",
        {"form": form, "lines": lines, "rights": rights},
    )
