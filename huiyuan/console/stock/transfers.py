"""Transfers (调拨): the list, the send form, and a transfer's page where it is received."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

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
from huiyuan.console.stock.common import PAGE_SIZE, all_stores, my_stores, not_found, stock_viewer
from huiyuan.console.stock.forms import TransferForm, TransferLineFormSet, to_milli
from huiyuan.core.errors import DomainError, NotFound
from huiyuan.stock import selectors, services
from huiyuan.stock.models import Transfer


@login_required
def transfer_list(request: HttpRequest) -> HttpResponse:
    actor, rights = stock_viewer(request)
    status = request.GET.get("status", "")
    qs = selectors.transfer_list(
        actor=actor, status=status if status in Transfer.Status.values else ""
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
