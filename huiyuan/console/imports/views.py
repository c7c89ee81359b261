"""Import pages (M3 and the legacy migration): upload, mapping with a preview, run with a
progress bar (htmx polling), results with the error workbook, and the history."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huiyuan.cards.models import CardType
from huiyuan.console.config.common import refuse_if_forbidden
from huiyuan.console.context import request_actor
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.imports.forms import MappingForm, UploadForm
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError, PermissionDenied
from huiyuan.core.permissions import Actor, Perm
from huiyuan.core.xlsx import Column
from huiyuan.imports import selectors, services
from huiyuan.imports.models import ImportJob, ImportKind
from huiyuan.stores.selectors import store_choices

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_ROWS = 20
HISTORY_ROWS = 200
EXPORT_COLUMNS: tuple[Column[ImportJob], ...] = (
    Column(gettext_lazy("File"), lambda j: j.filename, width=30),
    Column(gettext_lazy("Kind"), lambda j: j.get_kind_display(), width=16),
    Column(gettext_lazy("Status"), lambda j: j.get_status_display()),
    Column(gettext_lazy("Rows"), lambda j: j.rows_done, "number", 10),
    Column(gettext_lazy("Added"), lambda j: j.rows_created, "number", 10),
    Column(gettext_lazy("Already present"), lambda j: j.rows_present, "number", 10),
    Column(gettext_lazy("Errors"), lambda j: j.rows_error, "number", 10),
    Column(gettext_lazy("By"), lambda j: j.created_by.display_name if j.created_by else "API"),
    Column(gettext_lazy("Uploaded"), lambda j: j.created_at, "moment", 17),
)


def _require_any(actor: Actor) -> None:
    if not (actor.has(Perm.IMPORT_MEMBERS) or actor.has(Perm.IMPORT_LEGACY)):
        raise PermissionDenied(_("You do not have permission to do this."))


@staff_view
@require_http_methods(["GET", "POST"])
def import_home(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    _require_any(actor)
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        actor=actor,
        stores=[(s.pk, s.name) for s in store_choices(actor=actor)],
        card_types=[(t.pk, t.name) for t in CardType.objects.filter(is_active=True)],
        initial={"store": actor.store_id},
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_upload(
                actor=actor,
                kind=form.cleaned_data["kind"],
                filename=str(upload.name or ""),
                chunks=upload.chunks(),
                options={
                    "store_id": form.cleaned_data["store"],
                    "update_existing": form.cleaned_data["update_existing"],
                    "card_type_id": form.cleaned_data["card_type"],
                },
            )
        except DomainError as exc:
            refuse_if_forbidden(exc)
            form.add_error("file" if exc.field is None else None, str(exc.message))
        else:
            return redirect("console:import_job", job_id=job.pk)
    recent = selectors.import_jobs_list(actor=actor)[:5]
    return render(request, "console/imports/index.html", {"form": form, "recent": recent})


def _job_context(request: HttpRequest, job: ImportJob) -> dict[str, object]:
    return {
        "job": job,
        "running": job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING),
        "is_opening": job.kind == ImportKind.OPENING,
        "reconciliation": (
            selectors.opening_reconciliation(job)
            if job.kind == ImportKind.OPENING and job.finished
            else None
        ),
    }


@staff_view
@require_http_methods(["GET", "POST"])
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    actor = request_actor(request)
    _require_any(actor)
    job = services.import_job_get(actor=actor, job_id=job_id)
    context = _job_context(request, job)
    if request.headers.get("HX-Request"):
        return render(request, "console/imports/job.html#progress", context)
    form = None
    preview = None
    if job.status == ImportJob.Status.UPLOADED:
        form = MappingForm(
            request.POST or None, kind=job.kind, header=job.header, mapping=job.mapping
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.import_mapping_set(actor=actor, job_id=job.pk, mapping=form.mapping())
            except DomainError as exc:
                refuse_if_forbidden(exc)
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("Mapping saved; the preview shows the first rows."))
                return redirect("console:import_job", job_id=job.pk)
        preview = services.import_preview(actor=actor, job_id=job.pk, limit=PREVIEW_ROWS)
    return render(
        request,
        "console/imports/job.html",
        {
            **context,
            "form": form,
            "preview": preview,
            "run_key": uuid.uuid4().hex,
            "columns": services.import_columns(job.kind),
        },
    )


@staff_view
@require_POST
def import_job_run(request: HttpRequest, job_id: int) -> HttpResponse:
    actor = request_actor(request)
    key = str(request.POST.get("idempotency_key", "")).strip()[:100] or uuid.uuid4().hex
    try:
        services.import_start(actor=actor, job_id=job_id, idempotency_key=key)
    except DomainError as exc:
        refuse_if_forbidden(exc)
        messages.error(request, str(exc.message))
    return redirect("console:import_job", job_id=job_id)


@staff_view
@require_GET
def import_job_errors(request: HttpRequest, job_id: int) -> FileResponse:
    job = services.import_job_get(actor=request_actor(request), job_id=job_id)
    return FileResponse(
        selectors.import_errors_workbook(job),
        as_attachment=True,
        filename=f"import-{job.pk}-errors.xlsx",
        content_type=XLSX,
    )


@staff_view
@require_GET
def import_history(request: HttpRequest) -> HttpResponseBase:
    actor = request_actor(request)
    _require_any(actor)
    if wants_xlsx(request):
        return xlsx_download(
            name="imports",
            title=_("Import history"),
            columns=EXPORT_COLUMNS,
            rows=selectors.import_jobs_list(actor=actor).iterator(chunk_size=1000),
        )
    jobs = selectors.import_jobs_list(actor=actor)[:HISTORY_ROWS]
    return render(request, "console/imports/history.html", {"jobs": jobs})
