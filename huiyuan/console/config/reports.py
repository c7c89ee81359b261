"""The prepaid-balance (预收款) and points-liability reports, on screen and as xlsx."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from huiyuan.console.config.common import acting_staff, xlsx_response
from huiyuan.console.config.forms.reports import ReportYearForm
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Perm
from huiyuan.points import selectors as points_selectors
from huiyuan.points.models import PointsPolicy
from huiyuan.wallet import selectors as wallet_selectors


def _report_year(request: HttpRequest) -> tuple[ReportYearForm, int]:
    this_year = timezone.localdate().year
    years = list(range(this_year, this_year - 6, -1))
    form = ReportYearForm(request.GET or None, years=years, initial={"year": this_year})
    year = this_year
    if form.is_bound and form.is_valid() and form.cleaned_data["year"]:
        year = form.cleaned_data["year"]
    return form, year


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
    form, year = _report_year(request)
    now_rows = _outstanding_rows(wallet_selectors.outstanding_by_store(actor=actor))
    chain = wallet_selectors.outstanding_total(actor=actor)
    chain = chain | {"all": chain["principal"] + chain["bonus"]}
    quarters = [
        (label, _outstanding_rows(items))
        for label, items in wallet_selectors.outstanding_by_quarter(actor=actor, year=year)
    ]
    return render(
        request,
        "console/config/report_outstanding.html",
        {
            "form": form,
            "year": year,
            "now": now_rows,
            "quarters": quarters,
            "chain": {k: fen_to_yuan_str(v) for k, v in chain.items()},
            "chain_wide": actor.store_ids is None,
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
    """A fen amount as yuan in a cell: the formula ``=fen/100`` with its exact decimal value."""
    sheet.write_formula(row, col, f"={fen}/100", fmt, Decimal(fen) / 100)


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
    _form, year = _report_year(request)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    formats = _formats(workbook)
    _sheet_outstanding(
        workbook,
        _("Now"),
        _outstanding_rows(wallet_selectors.outstanding_by_store(actor=actor)),
        formats,
    )
    for label, items in wallet_selectors.outstanding_by_quarter(actor=actor, year=year):
        _sheet_outstanding(workbook, label, _outstanding_rows(items), formats)
    if actor.store_ids is None:
        chain = wallet_selectors.outstanding_total(actor=actor)
        sheet = workbook.add_worksheet(_("Chain total"))
        sheet.set_column(0, 0, 28)
        sheet.set_column(1, 1, 16)
        sheet.write_string(0, 0, _("Held for members now"), formats["header"])
        sheet.write_string(0, 1, "¥", formats["header"])
        for line, (label, fen) in enumerate(
            (
                (_("Stored value (principal)"), chain["principal"]),
                (_("Bonus"), chain["bonus"]),
                (_("Total"), chain["principal"] + chain["bonus"]),
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
    liability = points_selectors.points_liability(actor=actor)
    return render(
        request,
        "console/config/report_points.html",
        {
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
    liability = points_selectors.points_liability(actor=actor)
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
