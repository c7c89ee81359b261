"""An import's life: upload, mapping, preview (a dry run), start, run in batches.

1. ``import_upload`` stores the file (streamed to ``IMPORTS_DIR``, never read whole),
   recognises .xlsx or CSV (UTF-8 or GBK), reads the header and guesses the mapping —
   the staff member's last mapping for this kind first.
2. ``import_mapping_set`` edits the mapping and the options.
3. ``import_preview`` runs the first rows through the very code of the run inside a
   transaction that is rolled back: what it shows is what the run will do.
4. ``import_start`` (with an Idempotency-Key) queues the job; the worker runs
   ``import_run``: the file is streamed, ``BATCH_ROWS`` rows per short transaction, and
   the job's counters, the batch's effects and its row errors commit together — so a run
   that stops (a crash, a deploy) resumes exactly after the last committed batch when
   started again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, Role, require
from huiyuan.core.retry import atomic_retry
from huiyuan.core.sheets import SheetUnreadable, iter_rows, sniff_encoding, sniff_format
from huiyuan.imports import members as member_rows
from huiyuan.imports import opening as opening_rows
from huiyuan.imports.columns import columns_of, mapping_guess, mapping_problems
from huiyuan.imports.models import ImportJob, ImportKind, ImportMapping, ImportRowError
from huiyuan.imports.selectors import require_any_import
from huiyuan.ledger.commands import clean_key
from huiyuan.members.models import Member
from huiyuan.stores.models import Staff, Store, Terminal

log = logging.getLogger(__name__)

BATCH_ROWS = 1000  # rows per transaction while running (members)
OPENING_BATCH_ROWS = 100  # opening balances lock each card: smaller transactions
SQLITE_PAUSE_SECONDS = 0.02  # between batches, so a counter's write gets the lock
PREVIEW_ROWS = 100
MAX_FILE_BYTES = int(getattr(settings, "IMPORTS_MAX_BYTES", 512 * 1024 * 1024))
MAX_ERROR_ROWS = 100_000  # row errors kept for the workbook (more are counted only)


def imports_dir() -> Path:
    path = Path(getattr(settings, "IMPORTS_DIR", settings.VAR_DIR / "imports"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def job_path(job: ImportJob) -> Path:
    return imports_dir() / job.stored_name


def _require_kind(actor: Actor, kind: str, store_id: int | None, *, update: bool = False) -> None:
    if kind == ImportKind.MEMBERS:
        require(actor, Perm.IMPORT_MEMBERS, store_id=store_id, check_store=True)
        require(actor, Perm.MEMBER_CREATE, store_id=store_id, check_store=True)
        if update:
            require(actor, Perm.MEMBER_EDIT, store_id=store_id, check_store=True)
    elif kind == ImportKind.OPENING:
        require(actor, Perm.IMPORT_LEGACY)
    elif kind == ImportKind.SALES:
        require(actor, Perm.IMPORT_SALES, store_id=store_id, check_store=True)
    else:
        raise ValidationFailed(_("Unknown kind of import."), code="invalid_import_kind")


def _clean_options(actor: Actor, kind: str, options: dict[str, Any]) -> dict[str, Any]:
    store_id = options.get("store_id") or actor.store_id
    if store_id is None:
        raise ValidationFailed(
            _("Choose the store the members join."), code="store_required", field="store_id"
        )
    if not Store.objects.filter(pk=store_id, is_active=True).exists():
        raise NotFound(_("Unknown store."), code="unknown_store", field="store_id")
    cleaned: dict[str, Any] = {"store_id": int(store_id)}
    if kind == ImportKind.MEMBERS:
        cleaned["update_existing"] = bool(options.get("update_existing"))
        return cleaned
    if kind == ImportKind.SALES:
        return cleaned
    from huiyuan.cards.models import CardType

    card_type_id = options.get("card_type_id")
    if not card_type_id:
        raise ValidationFailed(
            _("Choose the card type of the cards to create."),
            code="card_type_required",
            field="card_type_id",
        )
    if not CardType.objects.filter(pk=card_type_id, is_active=True).exists():
        raise NotFound(_("Unknown card type."), code="unknown_card_type", field="card_type_id")
    cleaned["card_type_id"] = int(card_type_id)
    return cleaned


def _actor_fields(actor: Actor) -> dict[str, Any]:
    return {
        "actor_role": actor.role.value,
        "terminal_id": actor.terminal.pk if actor.terminal else None,
    }


def actor_of(job: ImportJob) -> Actor:
    """Who runs the job in the worker: whoever started it, as they were."""
    if job.created_by_id is not None:
        staff = Staff.objects.get(pk=job.created_by_id)
        return staff.as_actor(store_id=job.store_id)
    terminal = Terminal.objects.filter(pk=job.options.get("terminal_id")).first()
    store_ids = frozenset({terminal.store_id}) if terminal else frozenset()
    return Actor(
        role=Role(job.options.get("actor_role", Role.CASHIER)),
        terminal=terminal,
        store_ids=store_ids,
        store_id=terminal.store_id if terminal else None,
    )


def _first_row(path: Path, fmt: str, encoding: str) -> list[str]:
    try:
        for cells in iter_rows(path, fmt=fmt, encoding=encoding):
            if any(cells):
                return cells
    except SheetUnreadable as exc:
        raise ValidationFailed(
            _("This file cannot be read: upload an Excel workbook (.xlsx) or a CSV file."),
            code="file_unreadable",
        ) from exc
    raise ValidationFailed(_("The file is empty."), code="file_empty")


def _write(path: Path, chunks: Iterable[bytes], *, size: int, digest: Any, mode: str) -> int:
    """Append ``chunks`` to the stored file; the new size (refused past the limit)."""
    with path.open(mode) as out:
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                raise ValidationFailed(
                    _("The file is larger than %(mb)s MB.")
                    % {"mb": MAX_FILE_BYTES // (1024 * 1024)},
                    code="file_too_large",
                )
            digest.update(chunk)
            out.write(chunk)
    return size


def _file_digest(path: Path) -> Any:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest


def _finish_upload(actor: Actor, job: ImportJob) -> None:
    """Recognise the stored file, read its header and guess the mapping."""
    path = job_path(job)
    if job.file_size == 0:
        raise ValidationFailed(_("The file is empty."), code="file_empty")
    with path.open("rb") as handle:
        head = handle.read(65536)
    job.file_format = sniff_format(head)
    job.encoding = "" if job.file_format == "xlsx" else sniff_encoding(head)
    job.header = _first_row(path, job.file_format, job.encoding)
    remembered = (
        ImportMapping.objects.filter(staff=actor.staff, kind=job.kind)
        .values_list("columns", flat=True)
        .first()
        if actor.staff is not None
        else None
    )
    job.mapping = mapping_guess(job.kind, job.header, remembered)
    job.status = ImportJob.Status.UPLOADED


def import_upload(
    *,
    actor: Actor,
    kind: str,
    filename: str,
    chunks: Iterable[bytes],
    options: dict[str, Any] | None = None,
    final: bool = True,
) -> ImportJob:
    """Store an uploaded file (streamed to disk) and read its header; nothing is imported
    yet. With ``final=False`` more parts follow (``import_upload_append``)."""
    options = options or {}
    _require_kind(actor, kind, options.get("store_id") or actor.store_id)
    cleaned = _clean_options(actor, kind, options)
    _require_kind(actor, kind, cleaned["store_id"], update=cleaned.get("update_existing", False))
    stored = f"{uuid.uuid4().hex}.upload"
    path = imports_dir() / stored
    digest = hashlib.sha256()
    job = ImportJob(
        kind=kind,
        status=ImportJob.Status.UPLOADING,
        filename=(filename or "upload")[:200],
        stored_name=stored,
        options={**cleaned, **_actor_fields(actor)},
        store_id=cleaned["store_id"],
        created_by=actor.staff,
        created_at=timezone.now(),
    )
    try:
        job.file_size = _write(path, chunks, size=0, digest=digest, mode="wb")
        job.file_sha256 = digest.hexdigest()
        if final:
            _finish_upload(actor, job)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    with transaction.atomic():
        job.save()
        audit_record(
            actor=actor,
            action="import.uploaded",
            subject_type="import_job",
            subject_id=job.pk,
            after={"kind": kind, "file": job.filename, "bytes": job.file_size, "final": final},
            store_id=job.store_id,
        )
    return job


def import_upload_append(
    *, actor: Actor, job_id: int, chunks: Iterable[bytes], final: bool = True
) -> ImportJob:
    """Append a part to a file still uploading; the last part (``final``) completes it."""
    job = import_job_get(actor=actor, job_id=job_id)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportJob.Status.UPLOADING:
            raise Conflict(_("This file is complete already."), code="upload_complete")
        path = job_path(job)
        before = job.file_size
        digest = _file_digest(path)
        try:
            job.file_size = _write(path, chunks, size=before, digest=digest, mode="ab")
            job.file_sha256 = digest.hexdigest()
            if final:
                _finish_upload(actor, job)
        except BaseException:
            os.truncate(path, before)  # the part is refused whole
            raise
        job.save()
    return job


def _require_uploaded(job: ImportJob) -> None:
    if job.status == ImportJob.Status.UPLOADING:
        raise Conflict(
            _("The file is still uploading: send its last part first."), code="upload_incomplete"
        )


def import_job_get(*, actor: Actor, job_id: int) -> ImportJob:
    require_any_import(actor)
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or not actor.covers_store(job.store_id):
        raise NotFound(_("Import not found."), code="import_not_found")
    _require_kind(actor, job.kind, job.store_id)
    return job


def import_mapping_set(
    *,
    actor: Actor,
    job_id: int,
    mapping: dict[str, int],
    options: dict[str, Any] | None = None,
) -> ImportJob:
    """Change the column mapping (``{field: column index}``) and options before the run."""
    job = import_job_get(actor=actor, job_id=job_id)
    _require_uploaded(job)
    problems = mapping_problems(job.kind, mapping, len(job.header))
    if problems:
        raise ValidationFailed(problems[0], code="invalid_mapping", details={"problems": problems})
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportJob.Status.UPLOADED:
            raise Conflict(
                _("This import has started; upload the file again."), code="import_started"
            )
        job.mapping = {k: int(v) for k, v in mapping.items()}
        if options is not None:
            cleaned = _clean_options(actor, job.kind, {**job.options, **options})
            _require_kind(
                actor, job.kind, cleaned["store_id"], update=cleaned.get("update_existing", False)
            )
            job.options = {**job.options, **cleaned}
            job.store_id = cleaned["store_id"]
        job.save(update_fields=["mapping", "options", "store_id"])
    return job


def _remember_mapping(actor: Actor, job: ImportJob) -> None:
    if actor.staff is None:
        return
    columns = {
        name: job.header[index] for name, index in job.mapping.items() if index < len(job.header)
    }
    ImportMapping.objects.update_or_create(
        staff=actor.staff, kind=job.kind, defaults={"columns": columns}
    )


# ---------------------------------------------------------------------------- reading


@dataclass
class Line:
    row: int  # the spreadsheet's row number
    cells: list[str]
    values: dict[str, str]


def _lines(job: ImportJob, *, after: int = 0) -> Iterator[Line]:
    """The data rows (after the header) as ``Line``s, blank rows left out; rows up to
    ``after`` (a row number) are skipped."""
    rows = iter_rows(job_path(job), fmt=job.file_format, encoding=job.encoding or "utf-8")
    header_seen = False
    for number, cells in enumerate(rows, start=1):
        if not header_seen:
            header_seen = any(cells)
            continue
        if number <= after:
            continue
        values = {name: cells[i] if i < len(cells) else "" for name, i in job.mapping.items()}
        if not any(values.values()) and not any(cells):
            continue
        yield Line(row=number, cells=cells, values=values)


def _count_rows(job: ImportJob) -> tuple[int, dict[str, int]]:
    """The number of data rows and, for opening balances, the file's own totals (read
    apart from the run, for the reconciliation)."""
    if job.kind != ImportKind.OPENING:
        return sum(1 for _line in _lines(job)), {}
    count, sums = 0, dict.fromkeys(opening_rows.AMOUNTS, 0)
    for line in _lines(job):
        count += 1
        for name, value in opening_rows.row_amounts(line.values).items():
            sums[name] += value
    return count, sums


# ---------------------------------------------------------------------------- batches


@dataclass
class BatchOutcome:
    created: int = 0
    present: int = 0
    updated: int = 0
    errors: list[tuple[int, list[str], str]] = field(default_factory=list)
    sums: dict[str, dict[str, int]] | None = None


def _apply(actor: Actor, job: ImportJob, lines: list[Line]) -> BatchOutcome:
    if job.kind == ImportKind.MEMBERS:
        out = member_rows.members_import_batch(
            actor=actor,
            job=job,
            rows=[member_rows.MemberRow(ln.row, ln.cells, ln.values) for ln in lines],
            watermark=int(job.options.get("watermark", 0)),
        )
        return BatchOutcome(out.created, out.present, out.updated, out.errors)
    if job.kind == ImportKind.SALES:
        from huiyuan.segments import history

        sales = history.sales_import_batch(
            actor=actor,
            job=job,
            rows=[history.SalesRow(ln.row, ln.cells, ln.values) for ln in lines],
        )
        return BatchOutcome(sales.created, sales.present, 0, sales.errors)
    result = opening_rows.opening_import_batch(
        actor=actor,
        job=job,
        rows=[opening_rows.OpeningRow(ln.row, ln.cells, ln.values) for ln in lines],
    )
    return BatchOutcome(result.created, result.present, 0, result.errors, result.sums)


@dataclass
class PreviewRow:
    row: int
    cells: list[str]
    error: str = ""


@dataclass
class Preview:
    rows: list[PreviewRow]
    created: int
    present: int
    updated: int
    errors: int
    problems: list[str]


class _DryRun(Exception):
    def __init__(self, outcome: BatchOutcome) -> None:
        super().__init__("dry run")
        self.outcome = outcome


def import_preview(*, actor: Actor, job_id: int, limit: int = PREVIEW_ROWS) -> Preview:
    """The first ``limit`` rows run as the import would run them, then rolled back."""
    job = import_job_get(actor=actor, job_id=job_id)
    _require_uploaded(job)
    problems = mapping_problems(job.kind, job.mapping, len(job.header))
    if problems:
        return Preview([], 0, 0, 0, 0, problems)
    lines: list[Line] = []
    for line in _lines(job):
        lines.append(line)
        if len(lines) >= limit:
            break
    if not lines:
        return Preview([], 0, 0, 0, 0, [gettext("The file has no rows under its header.")])
    if job.kind == ImportKind.MEMBERS:
        job.options = {**job.options, "watermark": _watermark()}
    try:
        with transaction.atomic():
            raise _DryRun(_apply(actor, job, lines))
    except _DryRun as dry:
        outcome = dry.outcome
    errors = {row: message for row, _cells, message in outcome.errors}
    return Preview(
        rows=[PreviewRow(ln.row, ln.cells, errors.get(ln.row, "")) for ln in lines],
        created=outcome.created,
        present=outcome.present,
        updated=outcome.updated,
        errors=len(outcome.errors),
        problems=[],
    )


def _watermark() -> int:
    return int(Member.objects.aggregate(m=Max("pk"))["m"] or 0)


def import_start(*, actor: Actor, job_id: int, idempotency_key: str) -> ImportJob:
    """Queue the run (once per key); a failed run may be started again to resume."""
    key = clean_key(idempotency_key)
    job = import_job_get(actor=actor, job_id=job_id)
    _require_kind(actor, job.kind, job.store_id, update=bool(job.options.get("update_existing")))
    problems = mapping_problems(job.kind, job.mapping, len(job.header))
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.run_key == key:
            return job  # a replay
        _require_uploaded(job)
        if job.status not in (ImportJob.Status.UPLOADED, ImportJob.Status.FAILED):
            raise Conflict(_("This import has already been started."), code="import_started")
        if problems:
            raise ValidationFailed(
                problems[0], code="invalid_mapping", details={"problems": problems}
            )
        if job.kind == ImportKind.MEMBERS:
            busy = ImportJob.objects.filter(
                kind=ImportKind.MEMBERS,
                status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING],
            ).exclude(pk=job.pk)
            if busy.exists():
                raise Conflict(
                    _("Another member import is running; start this one when it is done."),
                    code="import_busy",
                )
            job.options.setdefault("watermark", _watermark())
        job.status = ImportJob.Status.QUEUED
        job.run_key = key
        job.message = ""
        job.save(update_fields=["status", "run_key", "message", "options"])
        _remember_mapping(actor, job)
        audit_record(
            actor=actor,
            action="import.started",
            subject_type="import_job",
            subject_id=job.pk,
            after={"kind": job.kind, "mapping": job.mapping, "options": job.options},
            store_id=job.store_id,
        )
        job_id = job.pk
        transaction.on_commit(lambda: _enqueue(job_id))
    return job


def _enqueue(job_id: int) -> None:
    from huiyuan.imports.tasks import run_import

    run_import.enqueue(job_id)


def _commit_batch(actor: Actor, job_id: int, lines: list[Line]) -> None:
    def attempt() -> None:
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        outcome = _apply(actor, job, lines)
        room = MAX_ERROR_ROWS - job.rows_error
        ImportRowError.objects.bulk_create(
            [
                ImportRowError(job=job, row=row, cells=cells, message=message[:500])
                for row, cells, message in outcome.errors[: max(room, 0)]
            ]
        )
        job.rows_done += len(lines)
        job.rows_created += outcome.created
        job.rows_present += outcome.present
        job.rows_updated += outcome.updated
        job.rows_error += len(outcome.errors)
        job.options = {**job.options, "position": lines[-1].row}
        if outcome.sums is not None:
            totals = job.totals or {}
            for key, sums in outcome.sums.items():
                bucket = totals.setdefault(key, {})
                for name, value in sums.items():
                    bucket[name] = bucket.get(name, 0) + value
            job.totals = totals
        job.save(
            update_fields=[
                "rows_done",
                "rows_created",
                "rows_present",
                "rows_updated",
                "rows_error",
                "options",
                "totals",
            ]
        )

    atomic_retry(attempt)


def import_run(*, job_id: int) -> ImportJob:
    """Run a queued job to the end, a batch per transaction; resumes after the last
    committed batch. A failure marks the job failed (the batches before it stay)."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        return job
    actor = actor_of(job)
    if job.rows_total is None:
        job.rows_total, file_sums = _count_rows(job)
        if file_sums:
            job.totals = {**(job.totals or {}), "file": file_sums}
    job.status = ImportJob.Status.RUNNING
    job.started_at = job.started_at or timezone.now()
    job.save(update_fields=["rows_total", "totals", "status", "started_at"])
    size = BATCH_ROWS if job.kind != ImportKind.OPENING else OPENING_BATCH_ROWS
    pause = SQLITE_PAUSE_SECONDS if connection.vendor == "sqlite" else 0
    try:
        batch: list[Line] = []
        for line in _lines(job, after=int(job.options.get("position", 0))):
            batch.append(line)
            if len(batch) >= size:
                _commit_batch(actor, job.pk, batch)
                batch = []
                if pause:
                    time.sleep(pause)
        if batch:
            _commit_batch(actor, job.pk, batch)
    except Exception as exc:
        log.exception("import %s failed", job.pk)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED, message=str(exc)[:500], finished_at=timezone.now()
        )
        return ImportJob.objects.get(pk=job.pk)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        job.status = ImportJob.Status.DONE
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "finished_at"])
        audit_record(
            actor=actor,
            action="import.finished",
            subject_type="import_job",
            subject_id=job.pk,
            after={
                "kind": job.kind,
                "rows": job.rows_done,
                "created": job.rows_created,
                "present": job.rows_present,
                "updated": job.rows_updated,
                "errors": job.rows_error,
                **({"totals": job.totals} if job.totals else {}),
            },
            store_id=job.store_id,
        )
    if job.kind == ImportKind.SALES:  # the history feeds RFM and prediction: recompute now
        from huiyuan.segments.services import cross_sell_rebuild, profiles_rebuild

        try:
            profiles_rebuild()
            cross_sell_rebuild()
        except Exception:
            log.exception("member profiles after import %s", job.pk)
    return job


def import_columns(kind: str) -> list[tuple[str, str, bool]]:
    """``(field, label, required)`` for the mapping form."""
    return [(c.name, str(c.label), c.required) for c in columns_of(kind)]
