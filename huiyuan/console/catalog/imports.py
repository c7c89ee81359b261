"""Excel import of the product list: upload, check, confirm or discard, the check report."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huiyuan.catalog import imports
from huiyuan.console.catalog.forms import ImportUploadForm
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden, xlsx_response
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Perm

SESSION_KEY = "catalog_import"


def _pending(request: HttpRequest) -> dict[str, Any] | None:
    pending = request.session.get(SESSION_KEY)
    return pending if isinstance(pending, dict) and "plan" in pending else None


@login_required
@require_http_methods(["GET", "POST"])
def product_import(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request, Perm.CATALOG_MANAGE)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        checked = imports.product_import_validate(
            actor=actor, file=upload, filename=str(upload.name or "")
        )
        request.session[SESSION_KEY] = {"plan": checked.dump(), "key": uuid.uuid4().hex}
        return redirect("console:catalog_import")
    # A rejected upload shows the form with its errors, not an earlier preview.
    pending = _pending(request) if request.method != "POST" else None
    plan = imports.ImportPlan.load(pending["plan"]) if pending else None
    return render(
        request,
        "console/catalog/import.html",
        {
            "form": form,
            "plan": plan,
            "pending": pending,
            "max_rows": imports.MAX_ROWS,
            "counts": (
                {
                    "create": plan.count(imports.ACTION_CREATE),
                    "update": plan.count(imports.ACTION_UPDATE),
                }
                if plan
                else {}
            ),
        },
    )


@login_required
@require_POST
def product_import_confirm(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request, Perm.CATALOG_MANAGE)
    pending = _pending(request)
    if pending is None or request.POST.get("key") != pending["key"]:
        messages.error(request, _("This preview is no longer current: upload the file again."))
        return redirect("console:catalog_import")
    plan = imports.ImportPlan.load(pending["plan"])
    try:
        result = imports.product_import_apply(
            actor=actor, plan=plan, idempotency_key=pending["key"]
        )
    except DomainError as exc:
        refuse_if_forbidden(exc)
        messages.error(request, str(exc.message))
        return redirect("console:catalog_import")
    request.session.pop(SESSION_KEY, None)
    messages.success(
        request,
        _("Imported: %(created)s new, %(updated)s updated, %(repriced)s new prices.")
        % {"created": result.created, "updated": result.updated, "repriced": result.repriced},
    )
    return redirect("console:catalog_products")


@login_required
@require_POST
def product_import_discard(request: HttpRequest) -> HttpResponse:
    acting_staff(request, Perm.CATALOG_MANAGE)
    request.session.pop(SESSION_KEY, None)
    return redirect("console:catalog_import")


@login_required
@require_GET
def product_import_report(request: HttpRequest) -> HttpResponse:
    acting_staff(request, Perm.CATALOG_MANAGE)
    pending = _pending(request)
    if pending is None:
        messages.error(request, _("This preview is no longer current: upload the file again."))
        return redirect("console:catalog_import")
    plan = imports.ImportPlan.load(pending["plan"])
    filename = f"product-import-check-{timezone.localdate():%Y%m%d}.xlsx"
    return xlsx_response(imports.product_import_report(plan), filename)


@login_required
@require_GET
def product_import_template(request: HttpRequest) -> HttpResponse:
    acting_staff(request, Perm.CATALOG_MANAGE)
    return xlsx_response(imports.product_import_template(), "product-import-template.xlsx")
