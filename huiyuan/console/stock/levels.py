"""Stock on hand per store (search, low-stock filter) and the movement history, with the
reorder point and a manual adjustment for one product at one store."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_http_methods

from huiyuan.catalog.models import Product
from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config.common import refuse_if_forbidden
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.stock.common import PAGE_SIZE, my_stores, stock_viewer
from huiyuan.console.stock.forms import (
    AdjustForm,
    LevelFilterForm,
    MovementFilterForm,
    ReorderPointForm,
    to_milli,
    units,
)
from huiyuan.core.errors import DomainError
from huiyuan.core.xlsx import Column
from huiyuan.stock import selectors, services
from huiyuan.stock.exports import levels_export
from huiyuan.stock.models import Movement


def _units(milli: int | None) -> Decimal | None:
    return None if milli is None else Decimal(milli) / 1000


MOVEMENT_COLUMNS: tuple[Column[Movement], ...] = (
    Column(_l("Time"), lambda m: m.created_at, "moment", 18),
    Column(_l("Store"), lambda m: m.store.name, width=12),
    Column(_l("SKU"), lambda m: m.product.sku, width=14),
    Column(_l("Product"), lambda m: m.product.name, width=22),
    Column(_l("Kind"), lambda m: m.get_kind_display(), width=10),
    Column(_l("Quantity"), lambda m: _units(m.quantity_milli), "number", 10),
    Column(_l("On hand after"), lambda m: _units(m.balance_after_milli), "number", 12),
    Column(_l("Unit cost"), lambda m: m.unit_cost_fen, "money", 10),
    Column(_l("Cost amount"), lambda m: m.cost_fen, "money", 10),
    Column(_l("Supplier"), lambda m: m.supplier, width=14),
    Column(_l("Reason"), lambda m: m.reason, width=20),
    Column(_l("Reference"), lambda m: m.reference, width=14),
    Column(_l("By"), lambda m: m.actor_label, width=10),
)


@login_required
def level_list(request: HttpRequest) -> HttpResponse:
    actor, rights = stock_viewer(request)
    stores = my_stores(actor)
    form = LevelFilterForm(request.GET or None, stores=stores)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.level_list(
        actor=actor,
        store_id=data.get("store"),
        query=data.get("q") or "",
        low_only=bool(data.get("low")),
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/stock/levels.html",
        {"form": form, "page": page, "rights": rights, "filtered": bool(request.GET)},
    )


@login_required
def level_export(request: HttpRequest) -> FileResponse:
    """The stock on hand as filtered, as an Excel file."""
    actor, _rights = stock_viewer(request)
    form = LevelFilterForm(request.GET or None, stores=my_stores(actor))
    data = form.cleaned_data if form.is_valid() else {}
    stream = levels_export(
        actor=actor,
        store_id=data.get("store"),
        query=data.get("q") or "",
        low_only=bool(data.get("low")),
    )
    filename = f"stock-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return FileResponse(stream, as_attachment=True, filename=filename)


@login_required
def movement_list(request: HttpRequest) -> HttpResponseBase:
    actor, rights = stock_viewer(request)
    form = MovementFilterForm(request.GET or None, stores=my_stores(actor))
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.movement_list(
        actor=actor,
        store_id=data.get("store"),
        product_id=data.get("product"),
        kind=data.get("kind") or "",
    )
    product_id: int | None = data.get("product")
    product = Product.objects.filter(pk=product_id).first() if product_id else None
    if wants_xlsx(request):
        return xlsx_download(
            name="stock-movements",
            title=_("Stock movements"),
            columns=MOVEMENT_COLUMNS,
            rows=qs.iterator(chunk_size=1000),
        )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/stock/movements.html",
        {"form": form, "page": page, "rights": rights, "product": product},
    )


@login_required
@require_http_methods(["GET", "POST"])
def level_detail(request: HttpRequest, store_id: int, product_id: int) -> HttpResponse:
    """One product at one store: on hand, reorder point, adjust, its latest movements."""
    actor, rights = stock_viewer(request)
    level = (
        selectors.level_list(actor=actor, store_id=store_id).filter(product_id=product_id).first()
    )
    if level is None:
        raise Http404(_("Nothing is kept of this product at this store yet."))
    action = request.POST.get("action") if request.method == "POST" else None
    reorder = ReorderPointForm(
        request.POST if action == "reorder" else None,
        initial={"reorder_point": units(level.reorder_point_milli)},
    )
    adjust = AdjustForm(request.POST if action == "adjust" else None)
    here = reverse("console:stock_level", args=[store_id, product_id])
    try:
        if action == "reorder" and reorder.is_valid():
            services.reorder_point_set(
                actor=actor,
                store_id=store_id,
                product_id=product_id,
                reorder_point_milli=to_milli(reorder.cleaned_data["reorder_point"]),
            )
            messages.success(request, _("Reorder point saved."))
            return redirect(here)
        if action == "adjust" and adjust.is_valid():
            data = adjust.cleaned_data
            services.stock_adjust(
                actor=actor,
                store_id=store_id,
                product_id=product_id,
                quantity_milli=to_milli(data["quantity"]) or 0,
                reason=data["reason"],
                idempotency_key=data["idempotency_key"],
            )
            messages.success(request, _("Stock adjusted."))
            return redirect(here)
    except DomainError as exc:
        refuse_if_forbidden(exc)
        target = reorder if action == "reorder" else adjust
        add_domain_error(
            target,
            exc,
            aliases={"quantity_milli": "quantity", "reorder_point_milli": "reorder_point"},
        )
    moves = selectors.movement_list(actor=actor, store_id=store_id, product_id=product_id)[:20]
    return render(
        request,
        "console/stock/level.html",
        {
            "level": level,
            "rights": rights,
            "reorder": reorder,
            "adjust": adjust,
            "moves": moves,
            "can_manage": rights.manage and actor.covers_store(store_id),
        },
    )
