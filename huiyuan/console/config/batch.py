"""Enterprise batch recharge: upload, check, confirm or discard, the check report."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huiyuan.console.config.common import acting_staff, refuse_if_forbidden, xlsx_response
from huiyuan.console.config.forms.batch import BatchUploadForm
from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Perm
from huiyuan.stores import selectors as store_selectors
from huiyuan.wallet import batch as wallet_batch
from huiyuan.wallet.models import PaymentMethod

BATCH_SESSION_KEY = "batch_recharge"


def _pending_batch(request: HttpRequest) -> dict[str, Any] | None:
    pending = request.session.get(BATCH_SESSION_KEY)
    return pending if isinstance(pending, dict) and "plan" in pending else None


@login_required
def batch_recharge(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request, Perm.WALLET_BATCH)
    stores = store_selectors.store_choices(actor=actor)
    form = BatchUploadForm(
        request.POST or None,
        request.FILES or None,
        stores=stores,
        initial={"store": actor.store_id or (stores[0].pk if stores else None)},
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        plan = wallet_batch.batch_recharge_validate(
            actor=actor, file=upload, filename=str(upload.name or "")
        )
        request.session[BATCH_SESSION_KEY] = {
            "plan": plan.dump(),
            "key": uuid.uuid4().hex,
            "store_id": form.cleaned_data["store"],
            "method": form.cleaned_data["method"],
        }
        return redirect("console:config_batch")
    # A rejected upload shows the form with its errors, not an earlier preview.
    pending = _pending_batch(request) if request.method != "POST" else None
    preview = wallet_batch.BatchPlan.load(pending["plan"]) if pending else None
    store_names = {s.pk: s.name for s in stores}
    return render(
        request,
        "console/config/batch.html",
        {
            "form": form,
            "plan": preview,
            "pending": pending,
            "total": fen_to_yuan_str(preview.total_fen) if preview else "",
            "store_name": store_names.get(pending["store_id"], "") if pending else "",
            "method_label": PaymentMethod(pending["method"]).label if pending else "",
            "max_rows": wallet_batch.MAX_ROWS,
        },
    )


@login_required
@require_POST
def batch_recharge_confirm(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request, Perm.WALLET_BATCH)
    pending = _pending_batch(request)
    if pending is None or request.POST.get("key") != pending["key"]:
        messages.error(request, _("This preview is no longer current: upload the file again."))
        return redirect("console:config_batch")
    store_id = pending["store_id"]
    if not actor.covers_store(store_id):
        raise HttpForbidden(_("This store is outside your scope."))
    plan = wallet_batch.BatchPlan.load(pending["plan"])
    try:
        result = wallet_batch.batch_recharge_apply(
            actor=dataclasses.replace(actor, store_id=store_id),
            plan=plan,
            idempotency_key=pending["key"],
            method=pending["method"],
        )
    except DomainError as exc:
        refuse_if_forbidden(exc)
        messages.error(request, str(exc.message))
        return redirect("console:config_batch")
    request.session.pop(BATCH_SESSION_KEY, None)
    messages.success(
        request,
        _("Batch %(batch)s: %(rows)s recharges, %(total)s in all, applied.")
        % {
            "batch": result.batch,
            "rows": len(result.recharges),
            "total": fen_to_yuan_str(result.total_fen),
        },
    )
    return redirect("console:config_batch")


@login_required
@require_POST
def batch_recharge_discard(request: HttpRequest) -> HttpResponse:
    acting_staff(request, Perm.WALLET_BATCH)
    request.session.pop(BATCH_SESSION_KEY, None)
    return redirect("console:config_batch")


@login_required
@require_GET
def batch_recharge_report(request: HttpRequest) -> HttpResponse:
    acting_staff(request, Perm.WALLET_BATCH)
    pending = _pending_batch(request)
    if pending is None:
        messages.error(request, _("This preview is no longer current: upload the file again."))
        return redirect("console:config_batch")
    plan = wallet_batch.BatchPlan.load(pending["plan"])
    filename = f"batch-check-{timezone.localdate():%Y%m%d}.xlsx"
    return xlsx_response(wallet_batch.batch_error_report(plan), filename)


@login_required
@require_GET
def batch_recharge_template(request: HttpRequest) -> HttpResponse:
    acting_staff(request, Perm.WALLET_BATCH)
    return xlsx_response(wallet_batch.batch_template(), "batch-recharge-template.xlsx")
