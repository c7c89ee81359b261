"""Reads of imports: the history, a job's error workbook and the opening reconciliation."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import IO

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext

from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.imports.models import ImportJob, ImportKind, ImportRowError, OpeningBalance
from huiyuan.ledger.models import Account, Transfer


def require_any_import(actor: Actor) -> None:
    """Imports are for staff who may import something (members or opening balances)."""
    if not (
        actor.has(Perm.IMPORT_MEMBERS)
        or actor.has(Perm.IMPORT_LEGACY)
        or actor.has(Perm.IMPORT_SALES)
    ):
        require(actor, Perm.IMPORT_MEMBERS)  # refuses, in the one error format


def import_jobs_list(*, actor: Actor, kind: str | None = None) -> QuerySet[ImportJob]:
    """The imports the actor may see: members imports in its stores (with
    ``import.members``), opening-balance imports with ``import.legacy``; newest first."""
    require_any_import(actor)
    kinds = []
    if actor.has(Perm.IMPORT_MEMBERS):
        kinds.append(ImportKind.MEMBERS)
    if actor.has(Perm.IMPORT_LEGACY):
        kinds.append(ImportKind.OPENING)
    if actor.has(Perm.IMPORT_SALES):
        kinds.append(ImportKind.SALES)
    rows = ImportJob.objects.filter(kind__in=kinds).select_related("created_by")
    if kind:
        rows = rows.filter(kind=kind)
    if actor.store_ids is not None:
        rows = rows.filter(Q(store_id__in=actor.store_ids))
    return rows.order_by("-created_at", "-id")


def import_errors_workbook(job: ImportJob) -> IO[bytes]:
    """The refused rows as an .xlsx (the original cells, then the error in its own
    column), written with constant memory to a temporary file; read it from the start."""
    import xlsxwriter

    out = tempfile.TemporaryFile()
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet(gettext("Rows with errors"))
    header_format = workbook.add_format({"bold": True, "bg_color": "#E8EEF9", "border": 1})
    bad = workbook.add_format({"font_color": "#C62828"})
    text = workbook.add_format({"num_format": "@"})
    titles = [gettext("Row"), *job.header, gettext("Error")]
    for col, title in enumerate(titles):
        sheet.write_string(0, col, str(title), header_format)
    sheet.set_column(1, len(job.header), 14)
    sheet.set_column(len(titles) - 1, len(titles) - 1, 60)
    line = 1
    rows = (
        ImportRowError.objects.filter(job=job)
        .order_by("row")
        .values_list("row", "cells", "message")
    )
    for number, cells, message in rows.iterator(chunk_size=2000):
        sheet.write_number(line, 0, number)
        for col, value in enumerate(cells, start=1):
            sheet.write_string(line, col, str(value), text)
        sheet.write_string(line, len(titles) - 1, message, bad)
        line += 1
    workbook.close()
    out.seek(0)
    return out


@dataclass(frozen=True)
class ReconciliationLine:
    label: str
    rows: int
    principal_fen: int
    bonus_fen: int
    points: int


@dataclass(frozen=True)
class Reconciliation:
    """The file's totals against the ledger, to the fen.

    ``file`` = ``posted`` + ``present`` + ``refused``; ``ledger`` is what the ledger holds
    for this import's operations (the transfers out of the opening accounts); ``difference``
    is ``ledger`` − ``posted`` and is zero when the import reconciles."""

    file: ReconciliationLine
    posted: ReconciliationLine
    present: ReconciliationLine
    refused: ReconciliationLine
    ledger: ReconciliationLine
    difference: ReconciliationLine

    @property
    def ok(self) -> bool:
        d = self.difference
        parts_add_up = (
            self.file.principal_fen
            == self.posted.principal_fen + self.present.principal_fen + self.refused.principal_fen
            and self.file.bonus_fen
            == self.posted.bonus_fen + self.present.bonus_fen + self.refused.bonus_fen
            and self.file.points == self.posted.points + self.present.points + self.refused.points
            and self.file.rows == self.posted.rows + self.present.rows + self.refused.rows
        )
        return parts_add_up and (d.rows, d.principal_fen, d.bonus_fen, d.points) == (0, 0, 0, 0)


def opening_reconciliation(job: ImportJob) -> Reconciliation:
    totals = job.totals or {}

    def line(label: str, key: str, rows: int) -> ReconciliationLine:
        sums = totals.get(key, {})
        return ReconciliationLine(
            label, rows, sums.get("principal", 0), sums.get("bonus", 0), sums.get("points", 0)
        )

    posted = line(gettext("Posted by this import"), "posted", job.rows_created)
    present = line(gettext("Already present (posted before)"), "present", job.rows_present)
    refused = line(gettext("Refused rows"), "error", job.rows_error)
    file = line(gettext("In the file"), "file", job.rows_total or 0)
    operations = OpeningBalance.objects.filter(job=job).values("operation_id")
    by_kind = dict(
        Transfer.objects.filter(
            operation_id__in=operations,
            from_account__kind__in=[Account.Kind.OPENING_BALANCE, Account.Kind.OPENING_POINTS],
        )
        .values("kind")
        .annotate(total=Sum("amount"))
        .values_list("kind", "total")
    )
    ledger = ReconciliationLine(
        gettext("In the ledger"),
        OpeningBalance.objects.filter(job=job).count(),
        int(by_kind.get("opening_principal") or 0),
        int(by_kind.get("opening_bonus") or 0),
        int(by_kind.get("opening_points") or 0),
    )
    difference = ReconciliationLine(
        gettext("Difference"),
        ledger.rows - posted.rows,
        ledger.principal_fen - posted.principal_fen,
        ledger.bonus_fen - posted.bonus_fen,
        ledger.points - posted.points,
    )
    return Reconciliation(file, posted, present, refused, ledger, difference)
