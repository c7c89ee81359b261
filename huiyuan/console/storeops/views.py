"""Shift pages (交接班): my shift (open, close, hand over), the handover slip, the day's
shifts of a manager's stores."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_http_methods

from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.context import request_actor, switchable_stores
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.storeops.forms import DayForm, HandoverForm, ShiftCloseForm, ShiftOpenForm
from huiyuan.core.clock import local_today
from huiyuan.core.errors import DomainError, NotFound
from huiyuan.core.permissions import Perm
from huiyuan.core.xlsx import Column
from huiyuan.shifts import selectors, services
from huiyuan.shifts.models import Shift
from huiyuan.shifts.takings import SOURCES, shift_takings
from huiyuan.stores.models import Staff


def _labels() -> tuple[dict[str, str], dict[str, str]]:
    """Translated per request (the module-level gettext ran at import)."""
    return (
        {
            "float": _("Float"),
            "sales": pgettext("shift", "Sales"),
            "reversals": _("Reversed sales"),
            "returns": _("Returns"),
            "recharges": _("Recharges"),
            "refunds": _("Stored-value refunds"),
            "benefit_upgrades": _("Benefit card upgrades"),
            "benefit_refunds": _("Benefit card refunds"),
        },
        {
            "cash": _("Cash"),
            "wechat": _("WeChat Pay"),
            "alipay": _("Alipay"),
            "bank_card": _("Bank card"),
            "terminal": _("Payment terminal"),
            "online": _("Online self-service"),
            "enterprise": _("Enterprise transfer"),
        },
    )


def slip_rows(shift: Shift) -> dict[str, Any]:
    """What the shift page and the slip show: per method expected, counted, difference;
    per source and method the movements."""
    sources_l, methods_l = _labels()
    if shift.status == Shift.Status.OPEN:
        takings = shift_takings(shift)
        expected, by_source, counts = takings.expected, takings.by_source, takings.counts
    else:
        expected = shift.expected
        by_source = shift.breakdown.get("sources", {})
        counts = shift.breakdown.get("counts", {})
    methods = sorted(set(expected) | set(shift.counted), key=lambda m: (m != "cash", m))
    rows = []
    for method in methods:
        exp = expected.get(method, 0)
        got = shift.counted.get(method)
        rows.append(
            {
                "method": methods_l.get(method, method),
                "code": method,
                "expected": exp,
                "counted": got,
                "difference": None if got is None else got - exp,
            }
        )
    movements = [
        {
            "source": sources_l[source],
            "code": source,
            "count": counts.get(source),
            "items": [
                {"method": methods_l.get(m, m), "amount": f}
                for m, f in sorted(by_source.get(source, {}).items())
                if f
            ],
        }
        for source in SOURCES
        if any(by_source.get(source, {}).values())
    ]
    return {"rows": rows, "movements": movements}


def _forms(
    request: HttpRequest, store_id: int | None, *, bound: str = ""
) -> tuple[ShiftCloseForm, HandoverForm]:
    me = request.user.pk
    cashiers = [c for c in selectors.store_cashiers(store_id) if c[0] != me] if store_id else []
    data = request.POST if request.method == "POST" else None
    close = ShiftCloseForm(data if bound == "close" else None)
    handover = HandoverForm(data if bound == "handover" else None, cashiers=cashiers)
    return close, handover


@login_required
@require_http_methods(["GET", "POST"])
def my_shift(request: HttpRequest) -> HttpResponse:
    """开班 / 结班 / 交接班 at the store the cashier works at."""
    actor = acting_staff(request, Perm.SALE_CREATE)
    shift = selectors.shift_current(actor=actor)
    terminals = selectors.store_terminals(actor.store_id) if actor.store_id else []
    open_form = ShiftOpenForm(
        request.POST if request.method == "POST" and shift is None else None, terminals=terminals
    )
    action = request.POST.get("action", "") if request.method == "POST" else ""
    close_form, handover_form = _forms(request, actor.store_id, bound=action)
    if request.method == "POST":
        try:
            if shift is None and open_form.is_valid():
                data = open_form.cleaned_data
                services.shift_open(
                    actor=actor,
                    float_fen=data["float_fen"] or 0,
                    terminal_id=data["terminal"],
                    idempotency_key=open_form.key(),
                )
                messages.success(request, _("Shift opened."))
                return redirect("console:shift_mine")
            if shift is not None and action == "close" and close_form.is_valid():
                closed = services.shift_close(
                    actor=actor,
                    shift_id=shift.pk,
                    counted=close_form.counted(),
                    note=close_form.cleaned_data["note"],
                    idempotency_key=close_form.key(),
                )
                messages.success(request, _("Shift closed."))
                return redirect("console:shift_slip", shift_id=closed.pk)
            if shift is not None and action == "handover" and handover_form.is_valid():
                closed, _opened = services.shift_handover(
                    actor=actor,
                    shift_id=shift.pk,
                    counted=handover_form.counted(),
                    next_cashier_id=handover_form.cleaned_data["next_cashier"],
                    note=handover_form.cleaned_data["note"],
                    idempotency_key=handover_form.key(),
                )
                messages.success(request, _("Shift handed over."))
                return redirect("console:shift_slip", shift_id=closed.pk)
        except DomainError as exc:
            refuse_if_forbidden(exc)
            target = (
                open_form
                if shift is None
                else handover_form
                if action == "handover"
                else close_form
            )
            add_domain_error(target, exc, aliases={"float": "float_fen", "counted": "cash"})
    return render(
        request,
        "console/storeops/mine.html",
        {
            "shift": shift,
            "open_form": open_form,
            "close_form": close_form,
            "handover_form": handover_form,
            **(slip_rows(shift) if shift else {}),
        },
    )


@login_required
def shift_slip(request: HttpRequest, shift_id: int) -> HttpResponse:
    """The printable handover slip (交接班单), 80 or 58 mm like the receipts."""
    actor = request_actor(request)
    try:
        shift = selectors.shift_get(actor=actor, shift_id=shift_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        refuse_if_forbidden(exc)
        raise
    return render(request, "console/storeops/slip.html", {"shift": shift, **slip_rows(shift)})


DayRow = dict[str, Any]  # {"shift": Shift, "cash": the slip's cash line or None}


def _cash(row: DayRow, key: str) -> int | None:
    cash = row["cash"]
    return cash.get(key) if cash else None


DAY_COLUMNS: tuple[Column[DayRow], ...] = (
    Column(gettext_lazy("Store"), lambda r: r["shift"].store.name, width=12),
    Column(gettext_lazy("Cashier"), lambda r: str(r["shift"].cashier), width=12),
    Column(
        gettext_lazy("Terminal"),
        lambda r: r["shift"].terminal.name if r["shift"].terminal else "",
        width=12,
    ),
    Column(pgettext_lazy("shift", "Opened"), lambda r: r["shift"].opened_at, "moment", 17),
    Column(pgettext_lazy("shift", "Closed"), lambda r: r["shift"].closed_at, "moment", 17),
    Column(gettext_lazy("Cash float"), lambda r: r["shift"].float_fen, "money", 12),
    Column(gettext_lazy("Expected cash"), lambda r: _cash(r, "expected"), "money", 12),
    Column(gettext_lazy("Counted cash"), lambda r: _cash(r, "counted"), "money", 12),
    Column(gettext_lazy("Difference"), lambda r: _cash(r, "difference"), "money", 12),
)


@login_required
def shift_day(request: HttpRequest) -> HttpResponseBase:
    """店长日报: every shift of the day at the stores in view."""
    actor = acting_staff(request, Perm.REPORT_VIEW)
    staff = request.user
    assert isinstance(staff, Staff)
    stores = [(s.pk, s.name) for s in switchable_stores(staff)]
    day: dt.date = local_today()
    form = DayForm(request.GET or None, stores=stores, initial={"date": day})
    store_id = None
    if form.is_valid():
        day = form.cleaned_data["date"] or day
        store_id = form.cleaned_data["store"]
    try:
        shifts = selectors.shifts_of_day(actor=actor, day=day, store_id=store_id)
    except DomainError as exc:
        refuse_if_forbidden(exc)
        raise
    rows = []
    total_diff = 0
    for shift in shifts:
        detail = slip_rows(shift)
        cash = next((r for r in detail["rows"] if r["code"] == "cash"), None)
        rows.append({"shift": shift, "cash": cash})
        if shift.status == Shift.Status.CLOSED:
            total_diff += shift.cash_difference_fen
    if wants_xlsx(request):
        return xlsx_download(
            name=f"shifts-{day:%Y%m%d}",
            title=_("Shifts of the day"),
            columns=DAY_COLUMNS,
            rows=rows,
        )
    return render(
        request,
        "console/storeops/day.html",
        {"form": form, "day": day, "rows": rows, "total_diff": total_diff},
    )
