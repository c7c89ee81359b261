"""Printing a batch's numbers and secret codes: an Excel workbook and a printable sheet.

Declared rule (docs/money-rules.md, "Pre-made card batches"): a code is kept encrypted only
while it can still be used, so the owner or head office (``card_batch.export``) can print
the cards again — say, after a misprint — for as long as they await activation. Every
export is audited (who, when, which format, which cards) and counted on the batch; the
codes themselves never reach the audit log, an event, a log line or the API. A code used
to activate a card, or of a card voided, is erased and is not in any export.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.cards import codes
from huiyuan.cards.models import BatchCard, CardBatch
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.retry import atomic_retry

FORMATS = ("xlsx", "sheet")
# The printable sheet is made a page at a time (a QR code each): this many cards a page.
SHEET_PAGE = 100


@dataclass(frozen=True)
class ExportRow:
    serial: int
    card_id: int
    number: str
    code: str  # formatted ABCD-EFGH-JKMN-PQRS

    @property
    def code_plain(self) -> str:
        return self.code.replace("-", "")


@dataclass(frozen=True)
class BatchExport:
    batch: CardBatch
    rows: list[ExportRow]
    pending: int  # cards awaiting activation in all (the rows are some or all of them)
    offset: int


def card_batch_export(
    *, actor: Actor, batch_id: int, fmt: str, offset: int = 0, limit: int | None = None
) -> BatchExport:
    """The numbers and codes of the batch's cards awaiting activation, by serial (audited).

    ``offset`` and ``limit`` take a slice of them (a page of the printable sheet).
    """
    require(actor, Perm.CARD_BATCH_EXPORT)
    if fmt not in FORMATS:
        raise ValidationFailed(_("Unknown export format."), code="invalid_format")
    if offset < 0 or (limit is not None and limit < 1):
        raise ValidationFailed(_("Choose a page of the batch."), code="invalid_page")

    def export() -> BatchExport:
        batch = (
            CardBatch.objects.select_for_update(of=("self",))
            .select_related("card_type", "store")
            .filter(pk=batch_id)
            .first()
        )
        if batch is None:
            raise NotFound(_("Card batch not found."), code="card_batch_not_found")
        require(actor, Perm.CARD_BATCH_EXPORT, store_id=batch.store_id, check_store=True)
        if batch.status == CardBatch.Status.GENERATING:
            raise Conflict(
                _("The batch's cards are still being generated."), code="batch_generating"
            )
        pending = BatchCard.objects.filter(batch=batch, status=BatchCard.Status.PENDING)
        total = pending.count()
        if total == 0:
            raise Conflict(
                _("No card of this batch awaits activation: there is nothing to print."),
                code="nothing_to_export",
            )
        page = pending.select_related("card").order_by("serial")
        page = page[offset : offset + limit] if limit is not None else page[offset:]
        rows = [
            ExportRow(
                serial=entry.serial,
                card_id=entry.card_id,
                number=entry.card.number,
                code=codes.code_display(codes.code_unseal(entry.code_encrypted)),
            )
            for entry in page
        ]
        batch.export_count += 1
        batch.last_exported_at = timezone.now()
        batch.save(update_fields=["export_count", "last_exported_at"])
        audit_record(
            actor=actor,
            action="card_batch.exported",
            subject_type="card_batch",
            subject_id=batch.pk,
            after={
                "format": fmt,
                "cards": len(rows),
                "first_serial": rows[0].serial if rows else None,
                "last_serial": rows[-1].serial if rows else None,
            },
            store_id=batch.store_id,
        )
        return BatchExport(batch=batch, rows=rows, pending=total, offset=offset)

    return atomic_retry(export)


def batch_workbook(export: BatchExport) -> bytes:
    """The export as an .xlsx: serial, card number, secret code, face value, deadline."""
    import xlsxwriter

    batch = export.batch
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(gettext("Cards"))
    header = workbook.add_format({"bold": True, "bg_color": "#E8EEF9", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    titles = [
        (gettext("Serial"), 8),
        (gettext("Card number"), 22),
        (gettext("Secret code"), 24),
        (gettext("Face value"), 12),
        (gettext("Activate by"), 14),
    ]
    for col, (title, width) in enumerate(titles):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, title, header)
    sheet.freeze_panes(1, 0)
    deadline = _date_text(batch.activate_by)
    face = fen_to_yuan_str(batch.face_value_fen)
    for line, row in enumerate(export.rows, start=1):
        sheet.write_number(line, 0, row.serial)
        sheet.write_string(line, 1, row.number, text)
        sheet.write_string(line, 2, row.code, text)
        sheet.write_string(line, 3, face, text)
        sheet.write_string(line, 4, deadline, text)
    info = workbook.add_worksheet(gettext("Batch"))
    info.set_column(0, 0, 16)
    info.set_column(1, 1, 40)
    facts = [
        (gettext("Batch"), f"#{batch.pk}"),
        (gettext("Buying company"), batch.buyer_company),
        (gettext("Card type"), batch.card_type.name),
        (gettext("Selling store"), batch.store.name),
        (gettext("Face value"), face),
        (gettext("Activate by"), deadline),
        (gettext("Cards in this file"), str(len(export.rows))),
    ]
    for line, (name, value) in enumerate(facts):
        info.write_string(line, 0, name, header)
        info.write_string(line, 1, value)
    workbook.close()
    return buffer.getvalue()


def _date_text(day: dt.date | None) -> str:
    return day.isoformat() if day else gettext("No deadline")
