"""Commission pages (导购提成): the rules, and the monthly report with its export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from huiyuan.catalog import selectors as catalog_selectors
from huiyuan.commission import selectors, services
from huiyuan.commission.exports import commission_export
from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.context import switchable_stores
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.storeops.forms import CommissionRuleForm, MonthForm
from huiyuan.core.clock import local_today
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import ROLE_LABELS, Perm, Role
from huiyuan.core.xlsx import Column
from huiyuan.stores.models import Staff


def _month_and_store(request: HttpRequest) -> tuple[MonthForm, str, int | None]:
    staff = request.user
    assert isinstance(staff, Staff)
    stores = [(s.pk, s.name) for s in switchable_stores(staff)]
    month, store_id = local_today().strftime("%Y-%m"), None
    form = MonthForm(request.GET or None, stores=stores, initial={"month": month})
    if form.is_valid():
        month = form.cleaned_data["month"] or month
        store_id = form.cleaned_data["store"]
    return form, month, store_id


@login_required
def report(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request, Perm.REPORT_VIEW)
    form, month, store_id = _month_and_store(request)
    try:
        lines = selectors.commission_report(actor=actor, month=month, store_id=store_id)
    except DomainError as exc:
        refuse_if_forbidden(exc)
        raise
    totals = {
        "sales": sum(line.sales_fen for line in lines),
        "returns": sum(line.returns_fen for line in lines),
        "recharges": sum(line.recharges_fen for line in lines),
        "total": sum(line.total_fen for line in lines),
    }
    return render(
        request,
        "console/storeops/commission.html",
        {
            "form": form,
            "month": month,
            "lines": [{"line": line, "role": ROLE_LABELS[Role(line.role)]} for line in lines],
            "totals": totals,
            "query": request.GET.urlencode(),
            "may_configure": actor.has(Perm.COMMISSION_CONFIGURE),
        },
    )


@login_required
def export(request: HttpRequest) -> FileResponse:
    actor = acting_staff(request, Perm.REPORT_VIEW)
    _form, month, store_id = _month_and_store(request)
    try:
        lines = selectors.commission_report(actor=actor, month=month, store_id=store_id)
    except DomainError as exc:
        refuse_if_forbidden(exc)
        raise
    return FileResponse(
        commission_export(lines, month=month),
        as_attachment=True,
        filename=f"commission-{month}.xlsx",
    )


def _categories() -> list[tuple[str, str]]:
    return [(c.code, " › ".join(c.path_names)) for c in catalog_selectors.category_tree()]


RuleRow = dict[str, Any]  # {"rule", "target", "role", "percent"} as the page shows them
RULE_COLUMNS: tuple[Column[RuleRow], ...] = (
    Column(gettext_lazy("Applies to"), lambda r: str(r["target"]), width=16),
    Column(gettext_lazy("Role"), lambda r: str(r["role"]), width=12),
    Column(
        gettext_lazy("Commission (%)"),
        lambda r: r["percent"] if r["rule"].method == "percent" else None,
        "number",
        12,
    ),
    Column(
        gettext_lazy("Commission per unit"),
        lambda r: r["rule"].fixed_fen if r["rule"].method != "percent" else None,
        "money",
        12,
    ),
)


@login_required
@require_http_methods(["GET", "POST"])
def rules(request: HttpRequest) -> HttpResponseBase:
    actor = acting_staff(request, Perm.REPORT_VIEW)
    may_configure = actor.has(Perm.COMMISSION_CONFIGURE)
    form = CommissionRuleForm(
        request.POST if request.method == "POST" else None, categories=_categories()
    )
    if request.method == "POST":
        acting_staff(request, Perm.COMMISSION_CONFIGURE)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.commission_rule_set(
                    actor=actor,
                    kind=data["kind"],
                    category_code=data["category_code"],
                    role=data["role"],
                    method=data["method"],
                    rate_bp=form.rate_bp(),
                    fixed_fen=data["fixed_fen"] or 0,
                    idempotency_key=form.key(),
                )
            except DomainError as exc:
                refuse_if_forbidden(exc)
                add_domain_error(form, exc, aliases={"rate_bp": "percent"})
            else:
                messages.success(request, _("Commission rule saved."))
                return redirect("console:commission_rules")
    names = dict(_categories())
    rows = [
        {
            "rule": r,
            "target": names.get(r.category_code, r.category_code)
            if r.kind == "category"
            else _("Recharge"),
            "role": ROLE_LABELS[Role(r.role)] if r.role else _("Every role"),
            "percent": r.rate_bp / 100,
        }
        for r in selectors.commission_rules(actor=actor)
    ]
    if request.method == "GET" and wants_xlsx(request):
        return xlsx_download(
            name="commission-rules",
            title=_("Commission rules"),
            columns=RULE_COLUMNS,
            rows=rows,
        )
    return render(
        request,
        "console/storeops/commission_rules.html",
        {"form": form, "rules": rows, "may_configure": may_configure},
    )


@login_required
@require_POST
def rule_retire(request: HttpRequest, rule_id: int) -> HttpResponse:
    actor = acting_staff(request, Perm.COMMISSION_CONFIGURE)
    try:
        services.commission_rule_retire(actor=actor, rule_id=rule_id)
    except DomainError as exc:
        refuse_if_forbidden(exc)
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Commission rule retired."))
    return redirect("console:commission_rules")
