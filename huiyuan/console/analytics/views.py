"""Analytics pages (An1, An4): the money dashboard with comparisons and drill-downs, the
report center with its Excel exports, scheduled reports, and the cashier's own day.

Every figure is the selectors' (store scope there); charts are drawn by
``console/analytics.js`` from the JSON embedded with ``json_script`` (no inline script).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huiyuan.analytics import reports, schedules, selectors
from huiyuan.console.analytics.forms import RangeForm, ScheduleForm
from huiyuan.console.context import request_actor
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError, NotFound
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.members.models import Member
from huiyuan.stores.models import Staff, Store
from huiyuan.wallet.models import PaymentMethod

REPORT_PAGE = 100


def method_label(code: str) -> str:
    labels: dict[str, str] = {str(k): str(v) for k, v in PaymentMethod.choices}
    labels.update(
        {"stored_value": _("Stored value"), "points": _("Points offset"), "other": _("Other")}
    )
    return labels.get(code, code)


def _stores(actor: Actor) -> list[Store]:
    qs = Store.objects.order_by("code")
    if actor.store_ids is not None:
        qs = qs.filter(pk__in=actor.store_ids)
    return list(qs)


def _scope_name(actor: Actor, stores: list[Store], store_id: int | None) -> str:
    """The store a page's figures cover: the one filtered on, or a store-bound actor's only
    store (their figures are that store's even without a filter); "" for several/all."""
    if store_id is not None:
        return next((s.name for s in stores if s.pk == store_id), "")
    if actor.store_ids is not None and len(stores) == 1:
        return stores[0].name
    return ""


def _range(request: HttpRequest) -> tuple[RangeForm, dt.date | None, dt.date | None, int | None]:
    form = RangeForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    return form, data.get("date_from"), data.get("date_to"), data.get("store")


def change(now: int, base: int) -> float | None:
    """Per cent change from ``base`` (None when there is no base)."""
    return None if base == 0 else round((now - base) * 100 / base, 1)


def _query(**params: object) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


@staff_view
@require_GET
def analytics_dashboard(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.REPORT_VIEW)
    form, first, last, store_id = _range(request)
    try:
        data = selectors.dashboard(actor=actor, first=first, last=last, store_id=store_id)
    except DomainError as exc:
        if exc.code == "store_forbidden":
            raise
        messages.error(request, str(exc.message))
        data = selectors.dashboard(actor=actor, store_id=store_id)
    r = data["range"]
    assert isinstance(r, dict)
    cur, prev, year = data["current"], data["previous_totals"], data["last_year_totals"]
    assert isinstance(cur, dict) and isinstance(prev, dict) and isinstance(year, dict)
    stores = _stores(actor)
    store_names = {s.pk: s.name for s in stores}
    filters = {
        "date_from": r["first"].isoformat(),
        "date_to": r["last"].isoformat(),
        "store": store_id,
    }
    sales_url = reverse("console:sale_list") + "?" + _query(**filters)

    def kpi(
        key: str, label: str, icon: str, url: str = "", money: bool = True, count: int | None = None
    ) -> dict[str, Any]:
        return {
            "key": key,
            "label": label,
            "icon": icon,
            "value": cur[key],
            "money": money,
            "count": count,
            "prev": change(cur[key], prev[key]),
            "yoy": change(cur[key], year[key]),
            "url": url,
        }

    report_url = lambda code: reverse("console:report_view", args=[code]) + "?" + _query(**filters)  # noqa: E731
    cur["returns_all"] = cur["returns"] + cur["reversals"]
    prev["returns_all"] = prev["returns"] + prev["reversals"]
    year["returns_all"] = year["returns"] + year["reversals"]
    kpis = [
        kpi("net_sales", _("Net sales"), "ti-receipt", sales_url, count=cur["sales_count"]),
        kpi(
            "recharges",
            _("Recharges"),
            "ti-wallet",
            report_url("recharge"),
            count=cur["recharges_count"],
        ),
        kpi("refunds", _("Stored-value refunds"), "ti-receipt-refund", report_url("refunds")),
        kpi("returns_all", _("Returns and reversals"), "ti-arrow-back-up", report_url("refunds")),
        kpi(
            "members_new",
            _("New members"),
            "ti-user-plus",
            # The members who joined in the range (at the store): the list behind the figure.
            reverse("console:member_list")
            + "?"
            + _query(
                joined_from=filters["date_from"], joined_to=filters["date_to"], store=store_id
            ),
            money=False,
        ),
    ]
    points = [
        kpi("points_issued", _("Points issued"), "ti-star", report_url("points"), money=False),
        kpi("points_redeemed", _("Points redeemed"), "ti-gift", report_url("points"), money=False),
        kpi(
            "points_expired",
            _("Points expired"),
            "ti-hourglass-empty",
            report_url("points"),
            money=False,
        ),
    ]
    coupons = [
        kpi("coupons_issued", _("Coupons issued"), "ti-ticket", report_url("coupons"), money=False),
        kpi("coupons_used", _("Coupons used"), "ti-discount", report_url("coupons"), money=False),
        kpi("coupon_discount", _("Discount given"), "ti-coin", report_url("coupons")),
    ]
    activity_kpis = [
        kpi("activity_seated", _("Activity participants"), "ti-users-group", money=False),
        kpi("activity_attended", _("Attendances"), "ti-checkbox", money=False),
    ]
    by = data["members_by"]
    assert isinstance(by, dict)
    staff_names = {
        str(s.pk): s.display_name or s.username
        for s in Staff.objects.filter(pk__in=[int(row["key"]) for row in by["staff"] if row["key"]])
    }
    channels = {str(k): str(v) for k, v in Member.Channel.choices}
    dash_url = reverse("console:analytics_dashboard")
    chart = {
        "series": data["series"],
        "members_monthly": data["members_monthly"],
        "channel": [
            {"name": channels.get(row["key"], row["key"]), "value": row["count"]}
            for row in by["channel"]
        ],
        "store": [
            {
                "name": store_names.get(int(row["key"]), _("Head office")),
                "value": row["count"],
                "url": dash_url
                + "?"
                + _query(
                    date_from=filters["date_from"], date_to=filters["date_to"], store=row["key"]
                ),
            }
            for row in by["store"]
        ],
        "staff": [
            {"name": staff_names.get(row["key"], _("Self-service / system")), "value": row["count"]}
            for row in by["staff"]
        ],
        "tiers": [{"name": row["key"], "value": row["count"]} for row in data["tiers"]],  # type: ignore[attr-defined]
        "drill": reverse("console:sale_list")
        + "?"
        + _query(store=store_id)
        + ("&" if store_id else ""),
        "labels": {
            "net_sales": _("Net sales"),
            "recharges": _("Recharges"),
            "refunds": _("Refunds"),
            "returns": _("Returns and reversals"),
            "members": _("New members"),
            "mom": _("Month on month"),
            "yoy": _("Year on year"),
        },
    }

    def methods(rows: object) -> list[dict[str, Any]]:
        assert isinstance(rows, list)
        return [{**row, "label": method_label(str(row["method"]))} for row in rows]

    balances = data["balances"]
    assert isinstance(balances, dict)
    return render(
        request,
        "console/analytics/dashboard.html",
        {
            "form": form,
            "data": data,
            "kpis": kpis,
            "points_kpis": points,
            "coupon_kpis": coupons,
            "activity_kpis": activity_kpis,
            "chart": chart,
            "stores": stores,
            "store_id": store_id,
            "store_name": _scope_name(actor, stores, store_id),
            "today_methods": methods(data["today_by_method"]),
            "month_methods": methods(data["month_by_method"]),
            "stored_value": balances["principal"] + balances["bonus"],
            "sales_url": sales_url,
            "filters": filters,
        },
    )


# ------------------------------------------------------------------------ report center


@staff_view
@require_GET
def report_center(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.REPORT_VIEW)
    return render(
        request,
        "console/analytics/reports.html",
        {
            "reports": list(reports.REPORTS.values()),
            "can_schedule": actor.has(Perm.REPORT_SCHEDULE),
        },
    )


def _report_or_404(code: str) -> reports.Report:
    try:
        return reports.report_get(code)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


@staff_view
@require_GET
def report_view(request: HttpRequest, code: str) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.REPORT_VIEW)
    report = _report_or_404(code)
    form, first, last, store_id = _range(request)
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    try:
        r = selectors.range_of(first, last)
        rows = reports.report_rows(
            actor=actor,
            code=code,
            first=r.first,
            last=r.last,
            store_id=store_id,
            limit=REPORT_PAGE + 1,
            offset=(page - 1) * REPORT_PAGE,
        )
    except DomainError as exc:
        if exc.code == "store_forbidden":
            raise
        messages.error(request, str(exc.message))
        r = selectors.range_of(None, None)
        rows = []
    query = _query(date_from=r.first.isoformat(), date_to=r.last.isoformat(), store=store_id)
    cells = [
        [(value, column.kind) for value, column in zip(row, report.columns, strict=False)]
        for row in rows[:REPORT_PAGE]
    ]
    totals: list[object] = []
    if cells:
        for i, column in enumerate(report.columns):
            if column.kind in ("money", "int") and i > 0:
                totals.append(sum(v for row in rows[:REPORT_PAGE] if isinstance(v := row[i], int)))
            else:
                totals.append(None)
    return render(
        request,
        "console/analytics/report.html",
        {
            "report": report,
            "form": form,
            "range": r,
            "rows": cells,
            "totals": list(zip(totals, [c.kind for c in report.columns], strict=False)),
            "page": page,
            "has_next": len(rows) > REPORT_PAGE,
            "query": query,
            "stores": _stores(actor),
            "store_id": store_id,
            "reports": list(reports.REPORTS.values()),
        },
    )


@staff_view
@require_GET
def report_export(request: HttpRequest, code: str) -> HttpResponseBase:
    actor = request_actor(request)
    require(actor, Perm.REPORT_VIEW)
    _report_or_404(code)
    _form, first, last, store_id = _range(request)
    try:
        handle = reports.workbook_write(
            actor=actor, code=code, first=first, last=last, store_id=store_id
        )
    except DomainError as exc:
        if exc.code == "store_forbidden":
            raise
        messages.error(request, str(exc.message))
        return redirect("console:report_view", code=code)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=reports.export_filename(code, first, last),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# -------------------------------------------------------------------- scheduled reports


@staff_view
def schedule_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.REPORT_SCHEDULE)
    stores = _stores(actor)
    form = ScheduleForm(
        request.POST or None,
        stores=[(s.pk, s.name) for s in stores],
        all_label=_("All stores") if actor.store_ids is None else "",
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            schedules.schedule_create(
                actor=actor,
                name=d["name"],
                report=d["report"],
                recipients=d["recipients"],
                frequency=d["frequency"],
                store_id=d["store"],
            )
        except DomainError as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, str(exc.message))
        else:
            messages.success(request, _("The report is scheduled."))
            return redirect("console:report_schedules")
    store_names = {s.pk: s.name for s in Store.objects.all()}
    rows = [
        (
            row,
            reports.REPORTS[row.report].title if row.report in reports.REPORTS else row.report,
            _("All stores")
            if row.store_ids is None
            else "、".join(store_names.get(int(i), str(i)) for i in row.store_ids),
        )
        for row in schedules.schedule_list(actor=actor)
    ]
    return render(request, "console/analytics/schedules.html", {"form": form, "rows": rows})


@staff_view
@require_POST
def schedule_delete(request: HttpRequest, schedule_id: int) -> HttpResponse:
    actor = request_actor(request)
    try:
        schedules.schedule_delete(actor=actor, schedule_id=schedule_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    messages.success(request, _("The scheduled report was deleted."))
    return redirect("console:report_schedules")


# --------------------------------------------------------------------- the cashier's day


@staff_view
@require_GET
def my_day(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    day = selectors.cashier_day(actor=actor)
    staff_id = actor.staff.pk if actor.staff is not None else ""
    sales_url = (
        reverse("console:sale_list")
        + "?"
        + _query(cashier=staff_id, date_from=day.day.isoformat(), date_to=day.day.isoformat())
    )
    return render(
        request,
        "console/analytics/my_day.html",
        {
            "day": day,
            "by_method": [(method_label(m), a) for m, a in day.by_method],
            "recharge_by_method": [(method_label(m), a) for m, a in day.recharge_by_method],
            "sales_url": sales_url,
        },
    )
