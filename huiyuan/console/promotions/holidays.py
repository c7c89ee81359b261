"""The holiday calendar (法定节假日): promotions marked "on holidays" run on these dates."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_http_methods, require_POST

from huiyuan.checkout import selectors
from huiyuan.checkout.models import Holiday
from huiyuan.checkout.services.promotions import holiday_delete, holiday_set
from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.promotions.forms import HolidayForm
from huiyuan.core.bounds import BUSINESS_YEARS
from huiyuan.core.clock import local_today
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Perm
from huiyuan.core.xlsx import Column

EXPORT_COLUMNS: tuple[Column[Holiday], ...] = (
    Column(_l("Date"), lambda h: h.date, "date", 12),
    Column(_l("Weekday"), lambda h: date_format(h.date, "l"), width=10),
    Column(_l("Holiday name"), lambda h: h.name, width=20),
)


def _year(text: str | None, default: int) -> int:
    try:
        year = int(text or default)
    except ValueError:
        return default
    return year if BUSINESS_YEARS[0] <= year <= BUSINESS_YEARS[1] else default


def _back(year: int) -> HttpResponse:
    return redirect(f"{reverse('console:promotion_holidays')}?year={year}")


@login_required
@require_http_methods(["GET", "POST"])
def holidays(request: HttpRequest) -> HttpResponseBase:
    actor = acting_staff(request, Perm.CATALOG_VIEW)
    manage = actor.has(Perm.CATALOG_MANAGE)
    year = _year(request.GET.get("year"), local_today().year)
    if request.method == "GET" and wants_xlsx(request):  # the year shown
        return xlsx_download(
            name=f"holidays-{year}",
            title=_("Holiday calendar"),
            columns=EXPORT_COLUMNS,
            rows=selectors.holiday_list(actor=actor, year=year),
        )
    form = HolidayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        acting_staff(request, Perm.CATALOG_MANAGE)
        data = form.cleaned_data
        try:
            holiday = holiday_set(actor=actor, date=data["date"], name=data["name"])
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("%(date)s %(name)s is a holiday.")
                % {"date": holiday.date.isoformat(), "name": holiday.name},
            )
            return _back(holiday.date.year)
    return render(
        request,
        "console/promotions/holidays.html",
        {
            "form": form,
            "year": year,
            "years": (year - 1, year + 1),
            "holidays": selectors.holiday_list(actor=actor, year=year),
            "manage": manage,
        },
    )


@login_required
@require_POST
def holiday_remove(request: HttpRequest, day: str) -> HttpResponse:
    actor = acting_staff(request, Perm.CATALOG_MANAGE)
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        messages.error(request, _("Unknown date."))
        return redirect("console:promotion_holidays")
    try:
        holiday_delete(actor=actor, date=date)
    except DomainError as exc:
        refuse_if_forbidden(exc)
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("%(date)s is no longer a holiday.") % {"date": day})
    return _back(date.year)
