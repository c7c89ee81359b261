"""Segment endpoints (An2, An3): saved segments, their counts and members, the RFM summary
and cut points, predictions (churn risk, lifetime value) and cross-sell pairs.

Segments are not money: writes take no Idempotency-Key (a repeated create is refused by
the unique name). The upload of sales history (销售历史导入) does: the same key and file
return the same background job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Annotated, Any, Literal

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, File, Form, Path, Query, Router, Schema, Status, UploadedFile

from huiyuan.api.auth import actor_of
from huiyuan.api.idempotent import run_keyed
from huiyuan.api.imports import XLSX, _once
from huiyuan.api.schemas.common import ERRORS, MAX_ID, In, QueryInt
from huiyuan.api.schemas.money import IdempotencyKey, OptionalIdempotencyKey, require_key
from huiyuan.api.schemas.segments import (
    CountOut,
    CrossSellOut,
    DefinitionIn,
    DeletedOut,
    PredictionsOut,
    RefreshIn,
    RefreshOut,
    RfmSettingsIn,
    RfmSettingsOut,
    RfmSummaryOut,
    SegmentEditIn,
    SegmentIn,
    SegmentMembersOut,
    SegmentOut,
)
from huiyuan.core.errors import NotFound, ValidationFailed
from huiyuan.core.permissions import Perm, require
from huiyuan.imports import selectors as import_selectors
from huiyuan.imports import services as imports
from huiyuan.imports.columns import mapping_problems
from huiyuan.imports.models import ImportJob, ImportKind
from huiyuan.segments import selectors, services
from huiyuan.segments.models import Segment
from huiyuan.segments.services import RFM_FIELDS

router = Router(tags=["segments"])

SegmentId = Path(..., ge=1, le=MAX_ID, description="Segment id.")


class PageQuery(In):
    limit: QueryInt = Field(100, ge=1, le=500)
    offset: QueryInt = Field(0, ge=0, le=1_000_000)


class ListQuery(In):
    q: Annotated[str, Field(max_length=50)] = ""


class SegmentLevelQuery(In):
    level: Literal["", "item", "category"] = ""


@router.get("/segments", response={200: list[SegmentOut], **ERRORS}, summary="Saved segments")
def segment_list(request: HttpRequest, filters: Query[ListQuery]) -> list[Segment]:
    return list(selectors.segment_list(actor=actor_of(request), query=filters.q)[:500])


@router.post("/segments", response={201: SegmentOut, **ERRORS}, summary="Save a segment")
def segment_create(
    request: HttpRequest,
    payload: SegmentIn,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> Status[Segment]:
    segment = run_keyed(
        request,
        idempotency_key,
        "segment.create",
        payload.dict(),
        lambda: services.segment_create(
            actor=actor_of(request),
            name=payload.name,
            description=payload.description,
            definition=payload.definition,
            store_id=payload.store_id,
        ),
        lambda pk: Segment.objects.get(pk=pk),
    )
    return Status(201, segment)


@router.post(
    "/segments/count",
    response={200: CountOut, **ERRORS},
    summary="How many members a filter matches now (before saving it)",
)
def definition_count(request: HttpRequest, payload: DefinitionIn) -> dict[str, int]:
    members = selectors.definition_count(
        actor=actor_of(request), definition=payload.definition, store_id=payload.store_id
    )
    return {"members": members}


@router.get(
    "/segments/{int:segment_id}", response={200: SegmentOut, **ERRORS}, summary="One segment"
)
def segment_get(request: HttpRequest, segment_id: int = SegmentId) -> Segment:
    return selectors.segment_get(actor=actor_of(request), segment_id=segment_id)


@router.patch(
    "/segments/{int:segment_id}", response={200: SegmentOut, **ERRORS}, summary="Edit a segment"
)
def segment_update(
    request: HttpRequest, payload: SegmentEditIn, segment_id: int = SegmentId
) -> Segment:
    return services.segment_update(
        actor=actor_of(request),
        segment_id=segment_id,
        name=payload.name,
        description=payload.description,
        definition=payload.definition,
    )


@router.delete(
    "/segments/{int:segment_id}",
    response={200: DeletedOut, **ERRORS},
    summary="Delete a segment",
)
def segment_delete(request: HttpRequest, segment_id: int = SegmentId) -> dict[str, Any]:
    services.segment_delete(actor=actor_of(request), segment_id=segment_id)
    return {"id": segment_id, "deleted": True}


@router.get(
    "/segments/{int:segment_id}/count",
    response={200: CountOut, **ERRORS},
    summary="The segment's member count, evaluated now",
)
def segment_count(request: HttpRequest, segment_id: int = SegmentId) -> dict[str, int]:
    actor = actor_of(request)
    segment = selectors.segment_get(actor=actor, segment_id=segment_id)
    return {"members": selectors.segment_count(segment, actor=actor)}


@router.get(
    "/segments/{int:segment_id}/members",
    response={200: SegmentMembersOut, **ERRORS},
    summary="The segment's members, evaluated now (a page of at most 500)",
)
def segment_members(
    request: HttpRequest, page: Query[PageQuery], segment_id: int = SegmentId
) -> dict[str, Any]:
    actor = actor_of(request)
    require(actor, Perm.MEMBER_VIEW)
    segment = selectors.segment_get(actor=actor, segment_id=segment_id)
    members = selectors.segment_members(segment, actor=actor).order_by("pk")
    limit, offset = max(min(page.limit, 500), 1), max(page.offset, 0)
    return {
        "total": members.count(),
        "items": list(
            members.values("id", "code", "name", "home_store_id")[offset : offset + limit]
        ),
    }


@router.get(
    "/segments/rfm", response={200: RfmSummaryOut, **ERRORS}, summary="Members per RFM class"
)
def rfm_summary(request: HttpRequest) -> selectors.RfmSummary:
    return selectors.rfm_summary(actor=actor_of(request))


@router.get(
    "/segments/rfm/settings", response={200: RfmSettingsOut, **ERRORS}, summary="RFM cut points"
)
def rfm_settings(request: HttpRequest) -> Any:
    require(actor_of(request), Perm.SEGMENT_VIEW)
    return selectors.rfm_settings_get()


@router.put(
    "/segments/rfm/settings",
    response={200: RfmSettingsOut, **ERRORS},
    summary="Change the RFM cut points (head office)",
)
def rfm_settings_update(request: HttpRequest, payload: RfmSettingsIn) -> Any:
    values = {k: v for k, v in payload.dict().items() if k in RFM_FIELDS and v is not None}
    return services.rfm_settings_update(actor=actor_of(request), values=values)


@router.post(
    "/segments/refresh",
    response={200: RefreshOut, **ERRORS},
    summary="Recompute RFM, habits, predictions and cross-sell now",
)
def profiles_refresh(request: HttpRequest, payload: RefreshIn) -> dict[str, Any]:
    result = services.profiles_refresh(actor=actor_of(request))
    return {"members": result.members, "fitted": result.fit is not None}


def _milli(value: float) -> int:
    return round(value * 1000)


@router.get(
    "/segments/predictions",
    response={200: PredictionsOut, **ERRORS},
    summary="Churn risk and lifetime value per member, highest risk first (at most 500)",
)
def predictions(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    fit = selectors.model_fit_latest()
    limit, offset = max(min(page.limit, 500), 1), max(page.offset, 0)
    rows = selectors.profile_list(actor=actor)[offset : offset + limit]
    items = [
        {
            "member_id": p.member_id,
            "member_code": p.member.code,
            "rfm_class": p.rfm_class,
            "last_on": p.last_on,
            "purchases": p.purchases,
            "spend_fen": p.spend_fen,
            "p_alive_permille": _milli(p.p_alive or 0),
            "churn_risk_permille": 1000 - _milli(p.p_alive or 0),
            "expected_purchases_90_milli": _milli(p.expected_purchases_90 or 0),
            "clv_fen": p.clv_fen,
        }
        for p in rows
    ]
    model = (
        {
            "members": fit.members,
            "r_milli": _milli(fit.r),
            "alpha_milli": _milli(fit.alpha),
            "a_milli": _milli(fit.a),
            "b_milli": _milli(fit.b),
            "fitted_at": fit.fitted_at,
        }
        if fit
        else None
    )
    return {"model": model, "items": items}


@router.get(
    "/segments/cross-sell",
    response={200: list[CrossSellOut], **ERRORS},
    summary="Items and categories bought together (support, confidence, lift)",
)
def cross_sell(request: HttpRequest, filters: Query[SegmentLevelQuery]) -> list[dict[str, Any]]:
    rows = selectors.cross_sell_list(actor=actor_of(request), level=filters.level)[:500]
    return [
        {
            "level": r.level,
            "antecedent": r.antecedent,
            "consequent": r.consequent,
            "baskets": r.baskets,
            "support_permille": _milli(r.support),
            "confidence_permille": _milli(r.confidence),
            "lift_pct": round(r.lift * 100),
        }
        for r in rows
    ]


# ----------------------------------------------------------------- sales history upload

ImportId = Path(..., ge=1, le=MAX_ID, description="Sales history import job id.")
MAX_UPLOAD = 200 * 1024 * 1024  # 200 MB, as the console
ERRORS_SHOWN = 100


class HistoryRowErrorOut(Schema):
    row: int = Field(..., description="Row number in the file (the header is row 1).")
    message: str
    cells: list[str]


class HistoryImportOut(Schema):
    id: int
    status: str = Field(..., description="uploaded, queued, running, done or failed.")
    filename: str
    file_format: str
    store_id: int | None
    header: list[str]
    mapping: dict[str, int]
    mapping_problems: list[str] = Field(
        ..., description="Why the run did not start (fix with PUT /imports/{id}/mapping)."
    )
    rows_total: int | None
    rows_done: int
    rows_created: int
    rows_present: int = Field(..., description="Rows imported before: nothing written.")
    rows_error: int
    percent: int
    message: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    errors: list[HistoryRowErrorOut] = Field(
        ..., description=f"The first {ERRORS_SHOWN} refused rows; all of them in errors.xlsx."
    )


def _history_out(job: ImportJob) -> dict[str, Any]:
    errors = job.row_errors.order_by("row")[:ERRORS_SHOWN]
    waiting = job.status == ImportJob.Status.UPLOADED
    return {
        **{
            f: getattr(job, f)
            for f in (
                "id",
                "status",
                "filename",
                "file_format",
                "store_id",
                "header",
                "mapping",
                "rows_total",
                "rows_done",
                "rows_created",
                "rows_present",
                "rows_error",
                "percent",
                "message",
                "created_at",
                "started_at",
                "finished_at",
            )
        },
        "mapping_problems": [
            str(p) for p in mapping_problems(job.kind, job.mapping, len(job.header))
        ]
        if waiting
        else [],
        "errors": [
            {"row": e.row, "message": e.message, "cells": [str(c) for c in e.cells]} for e in errors
        ],
    }


def _history_job(request: HttpRequest, job_id: int) -> ImportJob:
    job = imports.import_job_get(actor=actor_of(request), job_id=job_id)
    if job.kind != ImportKind.SALES:
        raise NotFound(_("Import not found."), code="import_not_found")
    return job


@router.post(
    "/segments/history-imports",
    response={201: HistoryImportOut, **ERRORS},
    summary="Upload sales history (销售历史导入): a CSV or .xlsx file, run in the background",
)
def history_import_upload(
    request: HttpRequest,
    file: File[UploadedFile],
    store_id: Form[int | None] = None,
    idempotency_key: str = IdempotencyKey,
) -> Status[dict[str, Any]]:
    """Multipart: ``file`` (columns: member number or mobile, date, amount in yuan, items,
    category; the header names them and the mapping is guessed) and optionally
    ``store_id``. The file is stored and queued for the worker when its columns are
    recognised; poll ``GET /segments/history-imports/{id}``. The same key and file return
    the same job; a re-run of the same file adds nothing."""
    actor = actor_of(request)
    key = require_key(idempotency_key)
    if file.size is not None and file.size > MAX_UPLOAD:
        raise ValidationFailed(
            _("The file is larger than 200 MB."), code="file_too_large", field="file"
        )
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    options: dict[str, Any] = {"store_id": store_id} if store_id else {}
    job = _once(
        actor,
        key,
        "import_upload_sales",
        {"sha256": digest.hexdigest(), "filename": file.name or "", **options},
        lambda: imports.import_upload(
            actor=actor,
            kind=ImportKind.SALES,
            filename=file.name or "upload",
            chunks=file.chunks(),
            options=options,
        ),
    )
    if job.status == ImportJob.Status.UPLOADED and not mapping_problems(
        job.kind, job.mapping, len(job.header)
    ):
        job = imports.import_start(actor=actor, job_id=job.pk, idempotency_key=key)
    job.refresh_from_db()
    return Status(201, _history_out(job))


@router.get(
    "/segments/history-imports/{int:job_id}",
    response={200: HistoryImportOut, **ERRORS},
    summary="A sales history import: status, counts and the refused rows",
)
def history_import_get(request: HttpRequest, job_id: int = ImportId) -> dict[str, Any]:
    return _history_out(_history_job(request, job_id))


@router.get(
    "/segments/history-imports/{int:job_id}/errors.xlsx",
    response={200: None, **ERRORS},
    summary="The refused rows of a sales history import, each with its reason (.xlsx)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "An .xlsx workbook.",
                "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def history_import_errors(request: HttpRequest, job_id: int = ImportId) -> FileResponse:
    job = _history_job(request, job_id)
    return FileResponse(
        import_selectors.import_errors_workbook(job),
        as_attachment=True,
        filename=f"sales-history-{job.pk}-errors.xlsx",
        content_type=XLSX,
    )
