"""Card batch pages (预制卡批次): list, generate, detail with report, sell, void, print.

The owner and head office generate, void and print; a store manager sees and sells the
batches of the own stores. Printing the codes (Excel or the printable sheet) is a POST:
each one is audited, and the response is never cached.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from huiyuan.cards import batches, images
from huiyuan.cards import selectors as card_selectors
from huiyuan.cards.batch_export import SHEET_PAGE, batch_workbook, card_batch_export
from huiyuan.cards.batch_void import card_batch_void
from huiyuan.cards.models import BatchCard, CardBatch
from huiyuan.console.cards.forms import BatchForm, SellForm, VoidForm, show_error
from huiyuan.console.context import request_actor, switchable_stores
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError
from huiyuan.core.errors import PermissionDenied as DomainPermissionDenied
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.xlsx import Column
from huiyuan.wallet.models import PaymentMethod

PAGE_SIZE = 30
CARDS_PAGE_SIZE = 50
TONES = {
    "generating": "yellow",
    "generated": "secondary",
    "selling": "yellow",
    "sold": "blue",
    "partially_activated": "cyan",
    "activated": "green",
    "closed": "secondary",
    "voided": "red",
}
CARD_TONES = {"pending": "yellow", "activated": "green", "voided": "secondary"}
EXPORT_CHUNK = 1000
EXPORT_COLUMNS: tuple[Column[card_selectors.BatchRow], ...] = (
    Column("#", lambda r: r.batch.pk, "number", 8),
    Column(gettext_lazy("Buying company"), lambda r: r.batch.buyer_company, width=24),
    Column(gettext_lazy("Card type"), lambda r: r.batch.card_type.name, width=16),
    Column(gettext_lazy("Selling store"), lambda r: r.batch.store.name, width=18),
    Column(gettext_lazy("Cards"), lambda r: r.batch.count, "number", 10),
    Column(gettext_lazy("Face value"), lambda r: r.batch.face_value_fen, "money"),
    Column(gettext_lazy("Activated"), lambda r: r.counts.activated, "number", 10),
    Column(gettext_lazy("Voided"), lambda r: r.counts.voided, "number", 10),
    Column(gettext_lazy("Status"), lambda r: r.state_label),
    Column(gettext_lazy("Created"), lambda r: r.batch.created_at, "moment", 17),
    Column(gettext_lazy("Note"), lambda r: r.batch.note, width=30),
)


def _may(actor: Actor) -> dict[str, bool]:
    return {
        "manage": actor.has(Perm.CARD_BATCH_MANAGE),
        "sell": actor.has(Perm.CARD_BATCH_SELL),
        "export": actor.has(Perm.CARD_BATCH_EXPORT),
    }


def _report_or_404(actor: Actor, batch_id: int) -> card_selectors.BatchReport:
    report = card_selectors.card_batch_report(actor=actor, batch_id=batch_id)
    if report is None:
        raise Http404(_("Card batch not found."))
    return report


def _refused(request: HttpRequest, exc: DomainError, batch_id: int) -> HttpResponse:
    if isinstance(exc, DomainPermissionDenied):
        raise exc
    if exc.code == "card_batch_not_found":
        raise Http404(str(exc.message)) from exc
    messages.error(request, str(exc.message))
    return redirect("console:card_batch", batch_id=batch_id)


def _export_rows(batches: QuerySet[CardBatch]) -> Iterator[card_selectors.BatchRow]:
    """The batches with their card counts, counted a chunk at a time."""
    chunk: list[CardBatch] = []
    for batch in batches.iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(batch)
        if len(chunk) == EXPORT_CHUNK:
            yield from card_selectors.batch_rows(chunk)
            chunk = []
    if chunk:
        yield from card_selectors.batch_rows(chunk)


@staff_view
def batch_list(request: HttpRequest) -> HttpResponseBase:
    actor = request_actor(request)
    batches = card_selectors.card_batches(actor=actor)
    if wants_xlsx(request):
        return xlsx_download(
            name="card-batches",
            title=_("Card batches"),
            columns=EXPORT_COLUMNS,
            rows=_export_rows(batches),
        )
    page = Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = card_selectors.batch_rows(list(page.object_list))
    return render(
        request,
        "console/cards/batch_list.html",
        {
            "page": page,
            "rows": [{"row": r, "tone": TONES[r.state]} for r in rows],
            "may": _may(actor),
            "query": "",
        },
    )


@staff_view
def batch_create(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.CARD_BATCH_MANAGE)
    card_types = list(card_selectors.card_types())
    stores = [s for s in switchable_stores(request.user) if actor.covers_store(s.pk)]  # type: ignore[arg-type]
    form = BatchForm(request.POST or None, card_types=card_types, stores=stores)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            batch = batches.card_batch_create(
                actor=actor,
                data=batches.BatchInput(
                    card_type_id=data["card_type"],
                    count=data["count"],
                    face_value_fen=data["face_value"],
                    store_id=data["store"],
                    buyer_company=data["buyer_company"],
                    buyer_contact=data["buyer_contact"],
                    validity_months=data["validity_months"],
                    activate_by=data["activate_by"],
                    note=data["note"],
                ),
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Batch #%(id)s generated: %(count)s cards of %(face)s. Print the codes, "
                    "then record the company's payment."
                )
                % {
                    "id": batch.pk,
                    "count": f"{batch.count:,}",
                    "face": fen_to_yuan_str(batch.face_value_fen),
                },
            )
            return redirect("console:card_batch", batch_id=batch.pk)
    return render(
        request,
        "console/cards/batch_form.html",
        {"form": form, "card_types": card_types, "stores": stores},
    )


@staff_view
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    actor = request_actor(request)
    report = _report_or_404(actor, batch_id)
    batch = report.batch
    status = request.GET.get("status", "")
    if status not in BatchCard.Status.values:
        status = ""
    cards = Paginator(
        card_selectors.batch_cards(actor=actor, batch=batch, status=status or None),
        CARDS_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    may = _may(actor)
    sellable = batch.status in (CardBatch.Status.GENERATED, CardBatch.Status.SELLING)
    busy = batch.status in (CardBatch.Status.GENERATING, CardBatch.Status.SELLING)
    return render(
        request,
        "console/cards/batch_detail.html",
        {
            "report": report,
            "batch": batch,
            "tone": TONES[report.row.state],
            "cards": cards,
            "card_rows": [{"entry": e, "tone": CARD_TONES[e.status]} for e in cards.object_list],
            "status": status,
            "statuses": BatchCard.Status.choices,
            "voids": card_selectors.batch_voids(actor=actor, batch=batch),
            "may": may,
            "sell_form": SellForm() if may["sell"] and sellable and report.counts.pending else None,
            "can_void": may["manage"] and not busy and report.counts.pending > 0,
            "can_print": may["export"] and not busy and report.counts.pending > 0,
            "sheet_pages": range(1, math.ceil(report.counts.pending / SHEET_PAGE) + 1),
            "generating": batch.status == CardBatch.Status.GENERATING,
            "method_label": dict(PaymentMethod.choices).get(
                batch.payment_method, batch.payment_method
            ),
            "query": f"status={status}" if status else "",
        },
    )


@staff_view
@require_POST
def batch_generate(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Finish generating a batch whose generation stopped half-way."""
    actor = request_actor(request)
    try:
        batches.card_batch_generate(actor=actor, batch_id=batch_id)
    except DomainError as exc:
        return _refused(request, exc, batch_id)
    messages.success(request, _("The batch's cards are all generated."))
    return redirect("console:card_batch", batch_id=batch_id)


@staff_view
@require_POST
def batch_sell(request: HttpRequest, batch_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.CARD_BATCH_SELL)
    form = SellForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how the company paid."))
        return redirect("console:card_batch", batch_id=batch_id)
    try:
        batches.card_batch_sell(
            actor=actor,
            batch_id=batch_id,
            method=form.cleaned_data["method"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except DomainError as exc:
        return _refused(request, exc, batch_id)
    report = _report_or_404(actor, batch_id)
    messages.success(
        request,
        _("Payment of %(amount)s received for %(cards)s cards; they can now be activated.")
        % {"amount": fen_to_yuan_str(report.received_fen), "cards": f"{report.counts.sold:,}"},
    )
    return redirect("console:card_batch", batch_id=batch_id)


@staff_view
def batch_void(request: HttpRequest, batch_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.CARD_BATCH_MANAGE)
    report = _report_or_404(actor, batch_id)
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            void = card_batch_void(
                actor=actor,
                batch_id=batch_id,
                reason=data["reason"],
                method=data["method"],
                card_numbers=data["numbers"],
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as exc:
            if exc.code == "card_batch_not_found":
                raise Http404(str(exc.message)) from exc
            show_error(form, exc)
        else:
            messages.success(
                request,
                _("%(cards)s cards voided; %(amount)s is paid back to the buyer.")
                % {
                    "cards": f"{void.cards_voided:,}",
                    "amount": fen_to_yuan_str(void.refunded_fen),
                },
            )
            return redirect("console:card_batch", batch_id=batch_id)
    return render(
        request,
        "console/cards/batch_void.html",
        {"form": form, "report": report, "batch": report.batch},
    )


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


@staff_view
@require_POST
def batch_export_xlsx(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The numbers and codes as an Excel workbook (audited)."""
    actor = request_actor(request)
    try:
        export = card_batch_export(actor=actor, batch_id=batch_id, fmt="xlsx")
    except DomainError as exc:
        return _refused(request, exc, batch_id)
    response = HttpResponse(
        batch_workbook(export),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="card-batch-{batch_id}.xlsx"'
    return _no_store(response)


def _qr_data_uri(text: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(images.qr_svg(text)).decode()


@staff_view
@require_POST
def batch_sheet(request: HttpRequest, batch_id: int) -> HttpResponse:
    """A printable page of cards: number, code and a QR code of the number (audited)."""
    actor = request_actor(request)
    try:
        page = max(int(request.POST.get("page", "1")), 1)
    except ValueError:
        page = 1
    try:
        export = card_batch_export(
            actor=actor,
            batch_id=batch_id,
            fmt="sheet",
            offset=(page - 1) * SHEET_PAGE,
            limit=SHEET_PAGE,
        )
    except DomainError as exc:
        return _refused(request, exc, batch_id)
    pages = math.ceil(export.pending / SHEET_PAGE)
    context: dict[str, Any] = {
        "batch": export.batch,
        "rows": [{"row": r, "qr": _qr_data_uri(r.number)} for r in export.rows],
        "page": page,
        "pages": pages,
        "next_page": page + 1 if page < pages else None,
    }
    return _no_store(render(request, "console/cards/batch_sheet.html", context))
