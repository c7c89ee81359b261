"""Promotions (促销): the list, one promotion's versions, publishing, ending.

Everyone with ``catalog.view`` reads; ``catalog.manage`` publishes and ends. A published
version never changes: a new version takes over from its start, "end now" ends the one in
force.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from huiyuan.catalog import selectors as catalog_selectors
from huiyuan.catalog.models import Product
from huiyuan.checkout import selectors
from huiyuan.checkout.models import Promotion
from huiyuan.checkout.services.promotions import (
    PromotionInput,
    promotion_end,
    promotion_publish,
)
from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.promotions.forms import PromotionForm
from huiyuan.console.templatetags.promotions import (
    date_range_text,
    promotion_value,
    weekday_names,
)
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Actor, Perm
from huiyuan.core.xlsx import Column
from huiyuan.stores import selectors as store_selectors
from huiyuan.stores.models import Store

STATES = ("current", "scheduled", "ended")


@dataclass(frozen=True)
class PromotionRow:
    """One code in the list: the version shown (in force now, else the latest) and what
    else is planned."""

    shown: Promotion
    state: str
    scheduled: Promotion | None
    versions: int


STATE_LABELS = {
    "current": gettext_lazy("In force"),
    "scheduled": gettext_lazy("Scheduled"),
    "ended": gettext_lazy("Ended"),
}


def _rule(row: PromotionRow) -> str:
    """The rule as the list shows it (``_rule.html``)."""
    p = row.shown
    parts = [promotion_value(p)]
    if p.weekdays:
        parts.append(weekday_names(p.weekdays))
    if p.on_holidays:
        parts.append(_("holidays"))
    if p.date_ranges:
        parts.append(date_range_text(p.date_ranges))
    return " · ".join(parts)


EXPORT_COLUMNS: tuple[Column[PromotionRow], ...] = (
    Column(gettext_lazy("Promotion"), lambda r: r.shown.name, width=24),
    Column(gettext_lazy("Code"), lambda r: r.shown.code, width=14),
    Column(gettext_lazy("Version"), lambda r: r.shown.version, "number", 8),
    Column(gettext_lazy("Rule"), _rule, width=40),
    Column(gettext_lazy("In force from"), lambda r: r.shown.effective_from, "moment", 17),
    Column(gettext_lazy("Until"), lambda r: r.shown.effective_to, "moment", 17),
    Column(gettext_lazy("Status"), lambda r: STATE_LABELS[r.state]),
)


def _viewer(request: HttpRequest) -> tuple[Actor, bool]:
    actor = acting_staff(request, Perm.CATALOG_VIEW)
    return actor, actor.has(Perm.CATALOG_MANAGE)


def _rows(versions: list[Promotion], now: dt.datetime) -> list[PromotionRow]:
    by_code: dict[str, list[Promotion]] = {}
    for row in versions:  # code, then newest version first
        by_code.setdefault(row.code, []).append(row)
    rows = []
    for group in by_code.values():
        current = next((v for v in group if selectors.promotion_state(v, now) == "current"), None)
        scheduled = next(
            (v for v in reversed(group) if selectors.promotion_state(v, now) == "scheduled"), None
        )
        shown = current or scheduled or group[0]
        rows.append(
            PromotionRow(
                shown=shown,
                state=selectors.promotion_state(shown, now),
                scheduled=scheduled if current else None,
                versions=len(group),
            )
        )
    return rows


def _found(actor: Actor, promotion_id: int) -> Promotion:
    row = selectors.promotion_get(actor=actor, promotion_id=promotion_id)
    if row is None:
        raise Http404(_("Unknown promotion."))
    return row


def _products(ids: list[int]) -> list[Product]:
    products = {p.pk: p for p in catalog_selectors.product_search(query="").filter(pk__in=ids)}
    return [products[i] for i in ids if i in products]


def _stores(actor: Actor) -> list[Store]:
    return [s for s in store_selectors.store_choices(actor=actor) if s.is_active]


@login_required
def promotion_list(request: HttpRequest) -> HttpResponseBase:
    actor, manage = _viewer(request)
    state = request.GET.get("state", "")
    state = state if state in (*STATES, "all") else ""
    query = request.GET.get("q", "").strip()[:40]
    now = timezone.now()
    rows = _rows(selectors.promotion_versions(actor=actor), now)
    if query:
        rows = [r for r in rows if query.lower() in f"{r.shown.code} {r.shown.name}".lower()]
    counts = {name: sum(1 for r in rows if r.state == name) for name in STATES}
    if state in STATES:
        rows = [r for r in rows if r.state == state]
    elif state != "all":
        rows = [r for r in rows if r.state != "ended"]
    if wants_xlsx(request):  # the page groups versions in memory: these are its rows
        return xlsx_download(
            name="promotions", title=_("Promotions"), columns=EXPORT_COLUMNS, rows=rows
        )
    return render(
        request,
        "console/promotions/list.html",
        {"rows": rows, "state": state, "q": query, "counts": counts, "manage": manage},
    )


@login_required
def promotion_detail(request: HttpRequest, promotion_id: int) -> HttpResponse:
    actor, manage = _viewer(request)
    row = _found(actor, promotion_id)
    now = timezone.now()
    versions = selectors.promotion_versions(actor=actor, code=row.code)
    stores = {s.pk: s for s in store_selectors.store_choices(actor=actor)}
    latest_state = selectors.promotion_state(versions[0], now)
    return render(
        request,
        "console/promotions/detail.html",
        {
            "promotion": row,
            "state": selectors.promotion_state(row, now),
            "versions": [(v, selectors.promotion_state(v, now)) for v in versions],
            "products": _products([int(i) for i in row.product_ids or ()]),
            "stores": [stores[i] for i in row.store_ids or () if i in stores],
            "manage": manage,
            "can_end": manage and latest_state != "ended",
        },
    )


def _publish(request: HttpRequest, *, previous: Promotion | None) -> HttpResponse:
    actor = acting_staff(request, Perm.CATALOG_MANAGE)
    initial = (
        PromotionForm.initial_for(previous, _products(list(previous.product_ids or ())))
        if previous
        else {}
    )
    form = PromotionForm(
        request.POST or None,
        initial=initial,
        categories=catalog_selectors.category_tree(),
        stores=_stores(actor),
        fixed_code=previous.code if previous else "",
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            row = promotion_publish(
                actor=actor,
                data=PromotionInput(
                    code=data["code"],
                    name=data["name"],
                    kind=data["kind"],
                    value=data["value"],
                    product_ids=tuple(data["products"]),
                    category_codes=tuple(data["categories"]),
                    store_ids=tuple(data["stores"]),
                    weekdays=tuple(data["weekdays"]),
                    on_holidays=data["on_holidays"],
                    date_ranges=tuple(data["date_ranges"]),
                    effective_to=data["effective_to"],
                    priority=data["priority"],
                    stacking=data["stacking"],
                ),
                effective_from=data["effective_from"],
                idempotency_key=data["idempotency_key"] or "",
            )
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(form, exc, aliases={"at": "effective_from"})
        else:
            messages.success(
                request,
                _("Promotion %(name)s version %(version)s published.")
                % {"name": row.name, "version": row.version},
            )
            return redirect("console:promotion_detail", promotion_id=row.pk)
    return render(request, "console/promotions/form.html", {"form": form, "previous": previous})


@login_required
@require_http_methods(["GET", "POST"])
def promotion_create(request: HttpRequest) -> HttpResponse:
    return _publish(request, previous=None)


@login_required
@require_http_methods(["GET", "POST"])
def promotion_new_version(request: HttpRequest, promotion_id: int) -> HttpResponse:
    actor = acting_staff(request, Perm.CATALOG_MANAGE)
    row = _found(actor, promotion_id)
    latest = selectors.promotion_versions(actor=actor, code=row.code)[0]
    return _publish(request, previous=latest)


@login_required
@require_POST
def promotion_stop(request: HttpRequest, promotion_id: int) -> HttpResponse:
    actor = acting_staff(request, Perm.CATALOG_MANAGE)
    row = _found(actor, promotion_id)
    try:
        ended = promotion_end(actor=actor, code=row.code)
    except DomainError as exc:
        refuse_if_forbidden(exc)
        messages.error(request, str(exc.message))
        return redirect("console:promotion_detail", promotion_id=row.pk)
    messages.success(request, _("Promotion %(name)s has ended.") % {"name": ended.name})
    return redirect("console:promotion_detail", promotion_id=ended.pk)
