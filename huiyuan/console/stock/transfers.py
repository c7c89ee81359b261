"""Transfers (调拨): the list, the send form, and a transfer's page where it is received."""

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
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_http_methods

from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config.common import refuse_if_forbidden
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.stock.common import PAGE_SIZE, all_stores, my_stores, not_found, stock_viewer
from huiyuan.console.stock.forms import TransferForm, TransferLineFormSet, to_milli
from huiyuan.core.errors import DomainError, NotFound
from huiyuan.core.xlsx import Column
from huiyuan.stock import selectors, services
from huiyuan.stock.models import Transfer, TransferLine


def _units(milli: int | None) -> Decimal | None:
    return None if milli is None else Decimal(milli) / 1000


# One row per line sent, so a spreadsheet can sum by product or store.
LINE_COLUMNS: tuple[Column[TransferLine], ...] = (
    Column(_l("Transfer number"), lambda n: n.transfer_id, "number", 10),
    Column(_l("Sending store"), lambda n: n.transfer.from_store.name, width=12),
    Column(_l("Receiving store"), lambda n: n.transfer.to_store.name, width=12),
    Column(_l("Status"), lambda n: n.transfer.get_status_display(), width=10),
    Column(_l("Sent at"), lambda n: n.transfer.sent_at, "moment", 18),
    Column(_l("Received at"), lambda n: n.transfer.received_at, "moment", 18),
    Column(_l("SKU"), lambda n: n.product.sku, width=14),
    Column(_l("Product"), lambda n: n.product.name, width=22),
    Column(_l("Quantity sent"), lambda n: Decimal(n.sent_milli) / 1000, "number", 10),
    Column(_l("Quantity received"), lambda n: _units(n.received_milli), "number", 10),
    Column(_l("Note"), lambda n: n.transfer.note, width=20),
)


@login_required
def transfer_list(request: HttpRequest) -> HttpResponseBase:
    actor, rights = stock_viewer(request)
    status = request.GET.get("status", "")
    qs = selectors.transfer_list(
        actor=actor, status=status if status in Transfer.Status.values else ""
    )
    if wants_xlsx(request):
        lines = (
            TransferLine.objects.filter(transfer__in=qs.order_by())
            .select_related("transfer__from_store", "transfer__to_store", "product")
            .order_by("-transfer_id", "id")
        )
        return xlsx_download(
            name="stock-transfers",
            title=_("Transfers"),
            columns=LINE_COLUMNS,
            rows=lines.iterator(chunk_size=1000),
        )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/stock/transfers.html",
        {"page": page, "rights": rights, "status": status, "statuses": Transfer.Status.choices},
    )


@login_required
@require_http_methods(["GET", "POST"])
def transfer_create(request: HttpRequest) -> HttpResponse:
    actor, rights = stock_viewer(request)
    if not rights.manage:
        raise PermissionDenied
    form = TransferForm(
        request.POST or None,
        sources=my_stores(actor),
        targets=all_stores(),
        initial={"from_store": actor.store_id},
    )
    lines = TransferLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        chosen = [
            services.TransferLineInput(
                f.cleaned_data["product"].pk, to_milli(f.cleaned_data["quantity"]) or 0
            )
            for f in lines.forms
            if f.cleaned_data.get("product")
        ]
        if not chosen:
            form.add_error(None, _("Add at least one product."))
        else:
            data = form.cleaned_data
            try:
                transfer = services.transfer_send(
                    actor=actor,
                    from_store_id=data["from_store"],
                    to_store_id=data["to_store"],
                    note=data["note"],
                    lines=chosen,
                    idempotency_key=data["idempotency_key"],
                )
            except DomainError as exc:
                refuse_if_forbidden(exc)
                add_domain_error(
                    form, exc, aliases={"from_store_id": "from_store", "to_store_id": "to_store"}
                )
            else:
                messages.success(request, _("Transfer sent: the goods are in transit."))
                return redirect("console:stock_transfer", transfer_id=transfer.pk)
    return render(
        request,
        "console/stock/transfer_form.html",
        {"form": form, "lines": lines, "rights": rights},
    )


@login_required
@require_http_methods(["GET", "POST"])
def transfer_detail(request: HttpRequest, transfer_id: int) -> HttpResponse:
    actor, rights = stock_viewer(request)
    try:
        transfer = selectors.transfer_get(actor=actor, transfer_id=transfer_id)
    except NotFound as exc:
        raise not_found(exc) from exc
    lines = selectors.transfer_lines(transfer)
    errors: dict[int, str] = {}
    problem = ""
    may_receive = (
        transfer.status == Transfer.Status.IN_TRANSIT
        and rights.manage
        and actor.covers_store(transfer.to_store_id)
    )
    if request.method == "POST":
        if not may_receive:
            raise PermissionDenied
        received: dict[int, int] = {}
        for line in lines:
            raw = (request.POST.get(f"received-{line.product_id}") or "").strip()
            try:
                value = Decimal(raw)
            except InvalidOperation:
                errors[line.product_id] = _("Enter a number.")
                continue
            if value < 0 or value != value.quantize(Decimal("0.001")) or value > 1_000_000:
                errors[line.product_id] = _(
                    "Enter a quantity, zero or more, with at most 3 decimals."
                )
                continue
            received[line.product_id] = int(value * 1000)
        if not errors:
            try:
                services.transfer_receive(
                    actor=actor,
                    transfer_id=transfer.pk,
                    received=received,
                    note=request.POST.get("note", ""),
                    idempotency_key=request.POST.get("idempotency_key") or uuid.uuid4().hex,
                )
            except DomainError as exc:
                refuse_if_forbidden(exc)
                problem = str(exc.message)
            else:
                messages.success(request, _("Transfer received."))
                return redirect("console:stock_transfer", transfer_id=transfer.pk)
    return render(
        request,
        "console/stock/transfer.html",
        {
            "transfer": transfer,
            "rows": [
                {
                    "line": line,
                    "typed": request.POST.get(f"received-{line.product_id}")
                    if request.method == "POST"
                    else None,
                    "error": errors.get(line.product_id, ""),
                }
                for line in lines
            ],
            "may_receive": may_receive,
            "problem": problem,
            "receive_key": uuid.uuid4().hex,
            "rights": rights,
        },
    )
