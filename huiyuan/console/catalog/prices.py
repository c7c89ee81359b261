"""A product's prices: in force now at each store, the schedule, the history.

Head office publishes chain-wide changes and any store's price; a store manager publishes
their own stores' prices. A change not yet in force may be withdrawn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from huiyuan.catalog import selectors, services
from huiyuan.catalog.models import PriceChange
from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.catalog.common import catalog_viewer, product_or_404
from huiyuan.console.catalog.forms import PriceChangeForm
from huiyuan.console.config.common import refuse_if_forbidden
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor
from huiyuan.core.xlsx import Column
from huiyuan.stores import selectors as store_selectors
from huiyuan.stores.models import Store

PAGE_SIZE = 20


@dataclass(frozen=True)
class ChangeRow:
    change: PriceChange
    state: str  # scheduled, in_force, superseded, cancelled
    can_cancel: bool


STATES = {
    "scheduled": _l("Scheduled"),
    "in_force": _l("In force"),
    "superseded": _l("Superseded"),
    "cancelled": pgettext_lazy("catalog", "Withdrawn"),
}
ExportRow = tuple[PriceChange, str]  # the change and its state
EXPORT_COLUMNS: tuple[Column[ExportRow], ...] = (
    Column(_l("In force from"), lambda r: r[0].effective_from, "moment", 18),
    Column(
        _l("Where"), lambda r: r[0].store.name if r[0].store else str(_l("Every store")), width=14
    ),
    Column(_l("Price"), lambda r: r[0].price_fen, "money", 12),  # empty: back to the chain price
    Column(_l("Status"), lambda r: str(STATES[r[1]]), width=10),
    Column(_l("Note"), lambda r: r[0].note, width=24),
    Column(_l("By"), lambda r: _staff_name(r[0].created_by), width=12),
    Column(_l("Published at"), lambda r: r[0].created_at, "moment", 18),
    Column(_l("Withdrawn at"), lambda r: r[0].cancelled_at, "moment", 18),
)


def _staff_name(staff: object) -> str:
    return getattr(staff, "display_name", "") or getattr(staff, "username", "") or ""


def _state(change: PriceChange, now: dt.datetime, in_force_ids: set[int | None]) -> str:
    if change.cancelled_at is not None:
        return "cancelled"
    if change.effective_from > now:
        return "scheduled"
    if change.pk in in_force_ids:
        return "in_force"
    return "superseded"


def _store_choices(actor: Actor) -> list[Store]:
    return [s for s in store_selectors.store_choices(actor=actor) if s.is_active]


@login_required
@require_http_methods(["GET", "POST"])
def product_prices(request: HttpRequest, product_id: int) -> HttpResponseBase:
    actor, rights = catalog_viewer(request)
    product = product_or_404(product_id)
    stores = _store_choices(actor) if (rights.manage or rights.store_price) else []
    form = PriceChangeForm(
        request.POST or None,
        stores=stores,
        chain_wide=rights.manage,
        initial={"store": "" if rights.manage else actor.store_id},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = services.price_change_schedule(
                actor=actor,
                product_id=product.pk,
                price_fen=data["price"],
                effective_from=data["effective_from"],
                store_id=data["store"],
                note=data["note"],
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(form, exc, aliases={"store_id": "store", "price_fen": "price"})
        else:
            messages.success(
                request,
                _("%(price)s from %(when)s published.")
                % {
                    "price": fen_to_yuan_str(change.price_fen or 0),
                    "when": timezone.localtime(change.effective_from).strftime("%Y-%m-%d %H:%M"),
                },
            )
            return redirect("console:catalog_product_prices", product_id=product.pk)
    now = timezone.now()
    store_ids = actor.store_ids  # None: every store
    in_store = selectors.store_prices(product.pk, at=now, store_ids=store_ids)
    chain = selectors.price_in_force(product, None, now)
    in_force_ids = {chain.change_id} | {p.price.change_id for p in in_store}
    history = selectors.price_changes(product.pk, store_ids=store_ids)
    if request.method == "GET" and wants_xlsx(request):
        return xlsx_download(
            name=f"prices-{product.pk}",
            title=product.name,
            columns=EXPORT_COLUMNS,
            rows=((c, _state(c, now, in_force_ids)) for c in history.iterator(chunk_size=1000)),
        )
    page = Paginator(history, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for change in page.object_list:
        state = _state(change, now, in_force_ids)
        may = (
            rights.manage
            if change.store_id is None
            else rights.store_price and actor.covers_store(change.store_id)
        )
        rows.append(ChangeRow(change, state, state == "scheduled" and may))
    return render(
        request,
        "console/catalog/prices.html",
        {
            "product": product,
            "form": form,
            "rights": rights,
            "chain": chain,
            "in_store": in_store,
            "page": page,
            "changes": rows,
            "can_clear": {
                p.store.pk
                for p in in_store
                if p.price.source == "store"
                and rights.store_price
                and actor.covers_store(p.store.pk)
            },
        },
    )


@login_required
@require_POST
def store_price_clear(request: HttpRequest, product_id: int) -> HttpResponse:
    actor, _rights = catalog_viewer(request)
    product = product_or_404(product_id)
    try:
        store_id = int(request.POST.get("store", ""))
    except ValueError:
        store_id = 0
    try:
        services.store_price_clear(actor=actor, product_id=product.pk, store_id=store_id)
    except DomainError as exc:
        refuse_if_forbidden(exc)
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The store follows the chain's price again."))
    return redirect("console:catalog_product_prices", product_id=product.pk)


@login_required
@require_POST
def price_change_cancel(request: HttpRequest, change_id: int) -> HttpResponse:
    actor, _rights = catalog_viewer(request)
    product_id = selectors.price_change_product_id(change_id)
    try:
        services.price_change_cancel(actor=actor, change_id=change_id)
    except DomainError as exc:
        refuse_if_forbidden(exc)
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The price change was withdrawn."))
    if product_id is None:
        return redirect("console:catalog_products")
    return redirect("console:catalog_product_prices", product_id=product_id)
