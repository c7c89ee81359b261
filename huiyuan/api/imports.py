"""Import endpoints: member files (M3) and legacy opening balances, as background jobs.

Upload (base64 in JSON, in parts for a large file), adjust the mapping, preview (a dry run
of the first rows), run (queued for the worker), poll the job, download the refused rows
as a workbook, and, for opening balances, the reconciliation. Every write takes an
Idempotency-Key: an upload or part sent again with the same key returns the same job.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.imports import (
    ImportOut,
    ImportPageOut,
    ImportPageQuery,
    MappingUpdateIn,
    MemberImportIn,
    OpeningImportIn,
    PartIn,
    PreviewOut,
    PreviewQuery,
    ReconciliationOut,
    RunIn,
)
from huiyuan.api.schemas.money import IdempotencyKey, require_key
from huiyuan.core.errors import Conflict, ValidationFailed
from huiyuan.core.permissions import Actor
from huiyuan.imports import selectors, services
from huiyuan.imports.models import ImportJob, ImportKind
from huiyuan.ledger.commands import actor_scope, request_hash
from huiyuan.ledger.errors import IdempotencyConflict
from huiyuan.ledger.models import IdempotencyKey as StoredKey

router = Router(tags=["imports"])

JobId = Path(..., ge=1, le=MAX_ID, description="Import job id.")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _out(job: ImportJob) -> dict[str, Any]:
    return {
        **{
            f: getattr(job, f)
            for f in (
                "id",
                "kind",
                "status",
                "filename",
                "file_format",
                "encoding",
                "file_size",
                "header",
                "mapping",
                "store_id",
                "rows_total",
                "rows_done",
                "rows_created",
                "rows_present",
                "rows_updated",
                "rows_error",
                "percent",
                "message",
                "created_at",
                "started_at",
                "finished_at",
            )
        },
        "columns": [
            {"field": f, "label": label, "required": required}
            for f, label, required in services.import_columns(job.kind)
        ],
        "update_existing": bool(job.options.get("update_existing")),
        "card_type_id": job.options.get("card_type_id"),
    }


def _decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed(
            _("content_base64 is not base64."), code="invalid_base64", field="content_base64"
        ) from exc


def _once(
    actor: Actor, key: str, kind: str, payload: dict[str, Any], make: Callable[[], ImportJob]
) -> ImportJob:
    """Run ``make`` once per key: the same key and request returns the first job."""
    scope = actor_scope(actor)
    digest = request_hash(kind=kind, scope=scope, store_id=actor.store_id, payload=payload)

    def replay() -> ImportJob | None:
        stored = StoredKey.objects.filter(scope=scope, key=key).first()
        if stored is None:
            return None
        if stored.request_hash != digest or stored.result_id is None:
            raise IdempotencyConflict()
        return ImportJob.objects.get(pk=stored.result_id)

    found = replay()
    if found is not None:
        return found
    job = make()
    try:
        with transaction.atomic():
            StoredKey.objects.create(
                scope=scope, key=key, kind=kind, request_hash=digest, result_id=job.pk
            )
    except IntegrityError:
        found = replay()
        if found is None:
            raise
        return found
    return job


def _upload(
    request: HttpRequest, kind: str, payload: MemberImportIn | OpeningImportIn, key: str
) -> ImportJob:
    actor = actor_of(request)
    content = _decode(payload.content_base64)
    options = payload.dict(exclude={"filename", "content_base64", "final"})
    return _once(
        actor,
        require_key(key),
        f"import_upload_{kind}",
        {"sha256": hashlib.sha256(content).hexdigest(), "filename": payload.filename, **options},
        lambda: services.import_upload(
            actor=actor,
            kind=kind,
            filename=payload.filename,
            chunks=[content],
            options=options,
            final=payload.final,
        ),
    )


@router.post(
    "/imports/members",
    response={201: ImportOut, **ERRORS},
    summary="Upload a member file (导入会员): .xlsx or CSV, base64; the mapping is guessed",
)
def import_members_upload(
    request: HttpRequest, payload: MemberImportIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    return Status(201, _out(_upload(request, ImportKind.MEMBERS, payload, idempotency_key)))


@router.post(
    "/imports/openings",
    response={201: ImportOut, **ERRORS},
    summary="Upload legacy opening balances (期初余额迁移): cards, principal, bonus, points",
)
def import_openings_upload(
    request: HttpRequest, payload: OpeningImportIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    return Status(201, _out(_upload(request, ImportKind.OPENING, payload, idempotency_key)))


@router.post(
    "/imports/{int:job_id}/parts",
    response={200: ImportOut, **ERRORS},
    summary="Append the next part of a file uploaded in parts",
)
def import_part(
    request: HttpRequest,
    payload: PartIn,
    job_id: int = JobId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    actor = actor_of(request)
    content = _decode(payload.content_base64)
    return _out(
        _once(
            actor,
            require_key(idempotency_key),
            "import_part",
            {"job": job_id, "sha256": hashlib.sha256(content).hexdigest(), "final": payload.final},
            lambda: services.import_upload_append(
                actor=actor, job_id=job_id, chunks=[content], final=payload.final
            ),
        )
    )


@router.get("/imports", response={200: ImportPageOut, **ERRORS}, summary="Import history")
def import_list(request: HttpRequest, page: Query[ImportPageQuery]) -> dict[str, Any]:
    rows = selectors.import_jobs_list(actor=actor_of(request), kind=page.kind)
    items = list(rows[page.offset : page.offset + page.limit])
    return {
        "count": rows.count(),
        "limit": page.limit,
        "offset": page.offset,
        "items": [_out(job) for job in items],
    }


@router.get(
    "/imports/{int:job_id}",
    response={200: ImportOut, **ERRORS},
    summary="An import: status and progress (rows done of the total)",
)
def import_get(request: HttpRequest, job_id: int = JobId) -> dict[str, Any]:
    return _out(services.import_job_get(actor=actor_of(request), job_id=job_id))


@router.put(
    "/imports/{int:job_id}/mapping",
    response={200: ImportOut, **ERRORS},
    summary="Set the column mapping ({field: column index}) before the run",
)
def import_mapping(
    request: HttpRequest,
    payload: MappingUpdateIn,
    job_id: int = JobId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    require_key(idempotency_key)  # setting the same mapping twice is harmless
    mapping = {k: v for k, v in payload.mapping.dict().items() if v is not None}
    options = (
        {} if payload.update_existing is None else {"update_existing": payload.update_existing}
    )
    job = services.import_mapping_set(
        actor=actor_of(request), job_id=job_id, mapping=mapping, options=options or None
    )
    return _out(job)


@router.get(
    "/imports/{int:job_id}/preview",
    response={200: PreviewOut, **ERRORS},
    summary="A dry run of the first rows: what the import would do (nothing is written)",
)
def import_preview(
    request: HttpRequest, query: Query[PreviewQuery], job_id: int = JobId
) -> dict[str, Any]:
    preview = services.import_preview(actor=actor_of(request), job_id=job_id, limit=query.limit)
    return {
        "rows": [r.__dict__ for r in preview.rows],
        "created": preview.created,
        "present": preview.present,
        "updated": preview.updated,
        "errors": preview.errors,
        "problems": preview.problems,
    }


@router.post(
    "/imports/{int:job_id}/run",
    response={202: ImportOut, **ERRORS},
    summary="Run the import in the background (again after a failure: it resumes)",
)
def import_run(
    request: HttpRequest,
    payload: RunIn,
    job_id: int = JobId,
    idempotency_key: str = IdempotencyKey,
) -> Status[dict[str, Any]]:
    job = services.import_start(
        actor=actor_of(request), job_id=job_id, idempotency_key=require_key(idempotency_key)
    )
    return Status(202, _out(job))


@router.get(
    "/imports/{int:job_id}/errors.xlsx",
    response={200: None, **ERRORS},
    summary="The refused rows as a workbook: the original cells and the error (in Chinese)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "An .xlsx workbook.",
                "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def import_errors(request: HttpRequest, job_id: int = JobId) -> FileResponse:
    job = services.import_job_get(actor=actor_of(request), job_id=job_id)
    return FileResponse(
        selectors.import_errors_workbook(job),
        as_attachment=True,
        filename=f"import-{job.pk}-errors.xlsx",
        content_type=XLSX,
    )


@router.get(
    "/imports/{int:job_id}/reconciliation",
    response={200: ReconciliationOut, **ERRORS},
    summary="Opening balances: the file's totals against the ledger, to the fen",
)
def import_reconciliation(request: HttpRequest, job_id: int = JobId) -> dict[str, Any]:
    job = services.import_job_get(actor=actor_of(request), job_id=job_id)
    if job.kind != ImportKind.OPENING:
        raise Conflict(
            _("Only an opening-balance import has a reconciliation."), code="not_an_opening_import"
        )
    report = selectors.opening_reconciliation(job)
    return {
        **{
            name: getattr(report, name).__dict__
            for name in ("file", "posted", "present", "refused", "ledger", "difference")
        },
        "ok": report.ok,
    }
