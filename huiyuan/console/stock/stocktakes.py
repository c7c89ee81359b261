"""Stocktake (盘点): start one for a store, enter what was counted, post the variance."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config.common import refuse_if_forbidden
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.stock.common import PAGE_SIZE, my_stores, not_found, stock_viewer
from huiyuan.console.stock.forms import StocktakeForm
from huiyuan.core.errors import DomainError, NotFound
from huiyuan.core.xlsx import Column
from huiyuan.stock import selectors, services
from huiyuan.stock.models import Stocktake
from huiyuan.stock.services.stocktakes import expected_now

EXPORT_COLUMNS: tuple[Column[Stocktake], ...] = (
    Column("#", lambda t: t.pk, "number", 8),
    Column(gettext_lazy("Store"), lambda t: t.store.name, width=18),
    Column(gettext_lazy("Status"), lambda t: t.get_status_display()),
    Column(gettext_lazy("Started"), lambda t: t.created_at, "moment", 17),
    Column(gettext_lazy("Posted"), lambda t: t.posted_at, "moment", 17),
    Column(gettext_lazy("Note"), lambda t: t.note, width=30),
)


@login_required
@require_http_methods(["GET", "POST"])
def stocktake_list(request: HttpRequest) -> HttpResponseBase:
    actor, rights = stock_viewer(request)
    form = StocktakeForm(
        request.POST or None, stores=my_stores(actor), initial={"store": actor.store_id}
    )
    if request.method == "POST":
        if not rights.manage:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                stocktake = services.stocktake_create(
                    actor=actor,
                    store_id=data["store"],
                    note=data["note"],
                    idempotency_key=data["idempotency_key"],
                )
            except DomainError as exc:
                refuse_if_forbidden(exc)
                add_domain_error(form, exc, aliases={"store_id": "store", "product_ids": "store"})
            else:
                return redirect("console:stock_stocktake", stocktake_id=stocktake.pk)
    qs = selectors.stocktake_list(actor=actor)
    if request.method == "GET" and wants_xlsx(request):
        return xlsx_download(
            name="stocktakes",
            title=_("Stocktakes"),
            columns=EXPORT_COLUMNS,
            rows=qs.iterator(chunk_size=1000),
        )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "console/stock/stocktakes.html", {"page": page, "form": form, "rights": rights}
    )


def _counts(
    request: HttpRequest, product_ids: list[int]
) -> tuple[dict[int, int | None], dict[int, str]]:
    """The counted quantities typed per product (blank: not counted), and typing errors."""
    counts: dict[int, int | None] = {}
    errors: dict[int, str] = {}
    for pid in product_ids:
        raw = (request.POST.get(f"count-{pid}") or "").strip()
        if not raw:
            counts[pid] = None
            continue
        try:
            value = Decimal(raw)
        except InvalidOperation:
            errors[pid] = _("Enter a number.")
            continue
        if value < 0 or value != value.quantize(Decimal("0.001")) or value > 1_000_000:
            errors[pid] = _("Enter a quantity, zero or more, with at most 3 decimals.")
            continue
        counts[pid] = int(value * 1000)
    return counts, errors


@login_required
@require_http_methods(["GET", "POST"])
def stocktake_detail(request: HttpRequest, stocktake_id: int) -> HttpResponse:
    actor, rights = stock_viewer(request)
    try:
        stocktake = selectors.stocktake_get(actor=actor, stocktake_id=stocktake_id)
    except NotFound as exc:
        raise not_found(exc) from exc
    lines = selectors.stocktake_lines(stocktake)
    errors: dict[int, str] = {}
    problem = ""
    typed: dict[int, str] = {}
    if request.method == "POST":
        if not rights.manage:
            raise PermissionDenied
        action = request.POST.get("action", "")
        counts, errors = _counts(request, [line.product_id for line in lines])
        typed = {
            line.product_id: request.POST.get(f"count-{line.product_id}", "") for line in lines
        }
        try:
            if action in ("count", "post") and not errors:
                services.stocktake_count(actor=actor, stocktake_id=stocktake.pk, counts=counts)
            if action == "post" and not errors:
                services.stocktake_post(
                    actor=actor,
                    stocktake_id=stocktake.pk,
                    idempotency_key=request.POST.get("idempotency_key") or uuid.uuid4().hex,
                )
                messages.success(request, _("Stocktake posted: the variance is in stock."))
                return redirect("console:stock_stocktake", stocktake_id=stocktake.pk)
            if action == "cancel":
                services.stocktake_cancel(actor=actor, stocktake_id=stocktake.pk)
                messages.success(request, _("Stocktake cancelled: nothing moved."))
                return redirect("console:stock_stocktake", stocktake_id=stocktake.pk)
            if action == "count" and not errors:
                messages.success(request, _("Counts saved."))
                return redirect("console:stock_stocktake", stocktake_id=stocktake.pk)
        except DomainError as exc:
            refuse_if_forbidden(exc)
            problem = str(exc.message)
    now = expected_now(stocktake) if stocktake.status == Stocktake.Status.COUNTING else {}
    rows = [
        {
            "line": line,
            "now": now.get(line.product_id, 0),
            "typed": typed.get(line.product_id),
            "error": errors.get(line.product_id, ""),
        }
        for line in lines
    ]
    return render(
        request,
        "console/stock/stocktake.html",
        {
            "stocktake": stocktake,
            "rows": rows,
            "rights": rights,
            "problem": problem,
            "open": stocktake.status == Stocktake.Status.COUNTING
            and rights.manage
            and actor.covers_store(stocktake.store_id),
            "post_key": uuid.uuid4().hex,
        },
    )
