"""Purchase-in (进货): the list of receipts and the form that receives goods."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_http_methods

from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config.common import refuse_if_forbidden
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.stock.common import PAGE_SIZE, my_stores, stock_viewer
from huiyuan.console.stock.forms import PurchaseForm, PurchaseLineFormSet
from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.xlsx import Column
from huiyuan.stock import selectors, services
from huiyuan.stock.models import PurchaseLine

# One row per line received, so a spreadsheet can sum by product or supplier.
LINE_COLUMNS: tuple[Column[PurchaseLine], ...] = (
    Column(_l("Purchase receipt number"), lambda n: n.purchase_id, "number", 8),
    Column(_l("Received at"), lambda n: n.purchase.created_at, "moment", 18),
    Column(_l("Store"), lambda n: n.purchase.store.name, width=12),
    Column(_l("Supplier"), lambda n: n.purchase.supplier, width=16),
    Column(_l("SKU"), lambda n: n.product.sku, width=14),
    Column(_l("Product"), lambda n: n.product.name, width=22),
    Column(_l("Quantity"), lambda n: Decimal(n.quantity_milli) / 1000, "number", 10),
    Column(_l("Unit cost"), lambda n: n.unit_cost_fen, "money", 10),
    Column(_l("Cost amount"), lambda n: n.cost_fen, "money", 10),
    Column(
        _l("By"),
        lambda n: n.purchase.created_by.display_name if n.purchase.created_by else "",
        width=10,
    ),
    Column(_l("Note"), lambda n: n.purchase.note, width=20),
)


@login_required
def purchase_list(request: HttpRequest) -> HttpResponseBase:
    actor, rights = stock_viewer(request)
    qs = selectors.purchase_list(actor=actor).prefetch_related("lines__product")
    if wants_xlsx(request):
        lines = (
            PurchaseLine.objects.filter(purchase__in=selectors.purchase_list(actor=actor))
            .select_related("purchase__store", "purchase__created_by", "product")
            .order_by("-purchase_id", "id")
        )
        return xlsx_download(
            name="stock-purchases",
            title=_("Purchase in"),
            columns=LINE_COLUMNS,
            rows=lines.iterator(chunk_size=1000),
        )
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
