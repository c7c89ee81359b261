"""The chain settlement page (通存通兑结算) and its export."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render

from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.context import switchable_stores
from huiyuan.console.storeops.forms import PeriodForm
from huiyuan.core.clock import local_today
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Perm
from huiyuan.settlement import selectors
from huiyuan.settlement.exports import settlement_export
from huiyuan.stores.models import Staff


def _report(request: HttpRequest) -> tuple[PeriodForm, selectors.SettlementReport | None, str]:
    actor = acting_staff(request, Perm.REPORT_VIEW)
    staff = request.user
    assert isinstance(staff, Staff)
    today = local_today()
    date_from, date_to, store_id = today.replace(day=1), today, None
    form = PeriodForm(
        request.GET or None,
        stores=[(s.pk, s.name) for s in switchable_stores(staff)],
        initial={"date": date_from, "date_to": date_to},
    )
    if form.is_valid():
        date_from = form.cleaned_data["date"] or date_from
        date_to = form.cleaned_data["date_to"] or date_to
        store_id = form.cleaned_data["store"]
    try:
        report = selectors.settlement_report(
            actor=actor, date_from=date_from, date_to=date_to, store_id=store_id
        )
    except DomainError as exc:
        refuse_if_forbidden(exc)
        return form, None, str(exc.message)
    return form, report, ""


@login_required
def report(request: HttpRequest) -> HttpResponse:
    form, result, error = _report(request)
    return render(
        request,
        "console/storeops/settlement.html",
        {"form": form, "report": result, "error": error, "query": request.GET.urlencode()},
    )


@login_required
def export(request: HttpRequest) -> HttpResponse | FileResponse:
    _form, result, error = _report(request)
    if result is None:
        return HttpResponse(error, status=422)
    name = f"settlement-{result.date_from:%Y%m%d}-{result.date_to:%Y%m%d}.xlsx"
    return FileResponse(settlement_export(result), as_attachment=True, filename=name)
