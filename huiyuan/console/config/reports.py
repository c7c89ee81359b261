"""The prepaid-balance (预收款) and points-liability reports, on screen and as xlsx.

Both show the viewer's stores only (a store manager: its stores; head office: the chain),
narrowed to one store with the ``store`` filter.
"""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from huiyuan.console.config.common import acting_staff, xlsx_response
from huiyuan.console.config.forms.reports import ReportYearForm
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor, Perm
from huiyuan.points import selectors as points_selectors
from huiyuan.points.models import PointsPolicy
from huiyuan.stores.selectors import store_choices
from huiyuan.wallet import selectors as wallet_selectors


def _report_year(request: HttpRequest, actor: Actor) -> tuple[ReportYearForm, int, int | None]:
    """The filter form, the year of the quarters, and the store chosen (None: all in view).

    The store choices are the actor's stores; a store outside them is refused (403), never
    silently shown.
    """
    this_year = timezone.localdate().year
    years = list(range(this_year, this_year - 6, -1))
    form = ReportYearForm(
        request.GET or None,
        years=years,
        stores=store_choices(actor=actor),
        initial={"year": this_year},
    )
    year = this_year
    if form.is_bound and form.is_valid() and form.cleaned_data["year"]:
        year = form.cleaned_data["year"]
    raw = request.GET.get("store", "")
    store_id = int(raw) if raw.isdigit() and len(raw) <= 18 else None
    if raw and (store_id is None or not actor.covers_store(store_id)):
        raise HttpForbidden(_("This store is outside your scope."))
    return form, year, store_id


def _filter_query(year: int | None, store_id: int | None) -> str:
    params = {k: v for k, v in (("year", year), ("store", store_id)) if v is not None}
    return urlencode(params)


def _view_label(actor: Actor, store_id: int | None) -> str:
    """What the figures cover, for a page or a sheet title."""
    if store_id is None and actor.store_ids is None:
        return _("Chain total")
    return _("Total of the stores shown")


OUTSTANDING_KEYS = ("recharged", "spent_here", "refunded", "bonus_granted", "net")


def _outstanding_rows(items: list[wallet_selectors.StoreOutstanding]) -> dict[str, Any]:
    """Per-store figures in fen, their total, and the same as ¥ text for the page."""
    rows = [{key: getattr(i, key) for key in OUTSTANDING_KEYS} | {"store": i.store} for i in items]
    total = {key: sum(r[key] for r in rows) for key in OUTSTANDING_KEYS}

    def shown(values: dict[str, Any]) -> dict[str, Any]:
        return values | {f"{k}_yuan": fen_to_yuan_str(values[k]) for k in OUTSTANDING_KEYS}

    return {"rows": [shown(r) for r in rows], "total": shown(total)}


@login_required
@require_GET
def report_outstanding(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request, Perm.REPORT_VIEW)
    form, year, store_id = _report_year(request, actor)
    now_rows = _outstanding_rows(
        wallet_selectors.outstanding_by_store(actor=actor, store_id=store_id)
    )
    held = wallet_selectors.outstanding_total(actor=actor, store_id=store_id)
    held = held | {"all": held["principal"] + held["bonus"]}
    quarters = [
        (label, _outstanding_rows(items))
        for label, items in wallet_selectors.outstanding_by_quarter(
            actor=actor, year=year, store_id=store_id
        )
    ]
    return render(
        request,
        "console/config/report_outstanding.html",
        {
            "form": form,
            "year": year,
            "now": now_rows,
            "quarters": quarters,
            "held": {k: fen_to_yuan_str(v) for k, v in held.items()},
            "view_label": _view_label(actor, store_id),
            "export_query": _filter_query(year, store_id),
            "as_of": timezone.localtime(),
        },
    )


def _sheet_outstanding(
    workbook: Any, title: str, block: dict[str, Any], formats: dict[str, Any]
) -> None:
    sheet = workbook.add_worksheet(title)
    headers = [
        (_("Store code"), 10),
        (_("Store"), 16),
        (_("Recharged (¥)"), 14),
        (_("Spent here (¥)"), 14),
        (_("Refunded (¥)"), 14),
        (_("Bonus granted (¥)"), 14),
        (_("Net for settlement (¥)"), 18),
    ]
    for col, (name, width) in enumerate(headers):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, name, formats["header"])
    line = 1
    for item in block["rows"]:
        sheet.write_string(line, 0, item["store"].code)
        sheet.write_string(line, 1, item["store"].name)
        for col, key in enumerate(OUTSTANDING_KEYS, start=2):
            _write_yuan(sheet, line, col, item[key], formats["money"])
        line += 1
    sheet.write_string(line, 1, _("Total"), formats["bold"])
    for col, key in enumerate(OUTSTANDING_KEYS, start=2):
        _write_yuan(sheet, line, col, block["total"][key], formats["money_bold"])
    sheet.freeze_panes(1, 0)


def _write_yuan(sheet: Any, row: int, col: int, fen: int, fmt: Any) -> None:
    """A fen amount as yuan in a cell: a number (the double nearest the two-decimal amount,
    as Excel would store it typed in), never a formula."""
    sheet.write_number(row, col, fen / 100, fmt)


def _formats(workbook: Any) -> dict[str, Any]:
    return {
        "header": workbook.add_format({"bold": True, "bg_color": "#E8EEF9", "border": 1}),
        "bold": workbook.add_format({"bold": True}),
        "money": workbook.add_format({"num_format": "#,##0.00"}),
        "money_bold": workbook.add_format({"num_format": "#,##0.00", "bold": True}),
        "int": workbook.add_format({"num_format": "#,##0"}),
    }


@login_required
@require_GET
def report_outstanding_export(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request, Perm.REPORT_VIEW)
    _form, year, store_id = _report_year(request, actor)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    formats = _formats(workbook)
    _sheet_outstanding(
        workbook,
        _("Now"),
        _outstanding_rows(wallet_selectors.outstanding_by_store(actor=actor, store_id=store_id)),
        formats,
    )
    for label, items in wallet_selectors.outstanding_by_quarter(
        actor=actor, year=year, store_id=store_id
    ):
        _sheet_outstanding(workbook, label, _outstanding_rows(items), formats)
    held = wallet_selectors.outstanding_total(actor=actor, store_id=store_id)
    sheet = workbook.add_worksheet(_view_label(actor, store_id))
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 16)
    sheet.write_string(0, 0, _("Held for members now"), formats["header"])
    sheet.write_string(0, 1, "¥", formats["header"])
    for line, (label, fen) in enumerate(
        (
            (_("Stored value (principal)"), held["principal"]),
            (_("Bonus"), held["bonus"]),
            (_("Total"), held["principal"] + held["bonus"]),
        ),
        start=1,
    ):
        sheet.write_string(line, 0, label)
        _write_yuan(sheet, line, 1, fen, formats["money"])
    workbook.close()
    return xlsx_response(
        buffer.getvalue(), f"outstanding-{year}-{timezone.localdate():%Y%m%d}.xlsx"
    )


def _points_lines(liability: dict[str, int]) -> list[tuple[str, str, str]]:
    """(label, shown value, key) for the points-liability page and its export."""
    return [
        (_("Points outstanding"), f"{liability['points']:,}", "points"),
        (_("Cards holding points"), f"{liability['cards']:,}", "cards"),
        (_("Value at the offset rate"), fen_to_yuan_str(liability["value_fen"]), "value_fen"),
        (_("Issued"), f"{liability['issued']:,}", "issued"),
        (_("Redeemed"), f"{liability['redeemed']:,}", "redeemed"),
        (_("Expired"), f"{liability['expired']:,}", "expired"),
        (_("Adjusted by hand (net)"), f"{liability['adjusted']:,}", "adjusted"),
    ]


@login_required
@require_GET
def report_points(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request, Perm.REPORT_VIEW)
    form, _year, store_id = _report_year(request, actor)
    liability = points_selectors.points_liability(actor=actor, store_id=store_id)
    return render(
        request,
        "console/config/report_points.html",
        {
            "form": form,
            "view_label": _view_label(actor, store_id),
            "export_query": _filter_query(None, store_id),
            "liability": liability,
            "shown": {k: f"{v:,}" for k, v in liability.items()},
            "value": fen_to_yuan_str(liability["value_fen"]),
            "policy": PointsPolicy.current(),
            "as_of": timezone.localtime(),
        },
    )


@login_required
@require_GET
def report_points_export(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request, Perm.REPORT_VIEW)
    _form, _year, store_id = _report_year(request, actor)
    liability = points_selectors.points_liability(actor=actor, store_id=store_id)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    formats = _formats(workbook)
    sheet = workbook.add_worksheet(_("Points liability"))
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 16)
    sheet.write_string(0, 0, _("Item"), formats["header"])
    sheet.write_string(0, 1, _("Value"), formats["header"])
    for line, (label, _shown, key) in enumerate(_points_lines(liability), start=1):
        sheet.write_string(line, 0, label + (" (¥)" if key == "value_fen" else ""))
        if key == "value_fen":
            _write_yuan(sheet, line, 1, liability[key], formats["money"])
        else:
            sheet.write_number(line, 1, liability[key], formats["int"])
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    sheet.write_string(len(_points_lines(liability)) + 2, 0, _("As of %(time)s") % {"time": stamp})
    workbook.close()
    return xlsx_response(buffer.getvalue(), f"points-liability-{timezone.localdate():%Y%m%d}.xlsx")
