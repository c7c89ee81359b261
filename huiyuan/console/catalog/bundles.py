"""Bundles (套餐): the list, and what one bundle holds (scan or type each product)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_http_methods

from huiyuan.catalog import selectors, services
from huiyuan.catalog.models import BundleItem, Product
from huiyuan.catalog.selectors import PriceInForce
from huiyuan.catalog.services import BundleItemInput
from huiyuan.console.catalog.common import catalog_viewer, product_or_404
from huiyuan.console.catalog.forms import MILLI, BundleItemFormSet
from huiyuan.console.config.common import refuse_if_forbidden
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.core.errors import DomainError
from huiyuan.core.xlsx import Column

ROWS = 8  # item rows on the form (a bundle holds at most 20; save and add more)
# A row of the list: the bundle, its items, its price here, the items' worth, the saving.
BundleRow = tuple[Product, list[BundleItem], PriceInForce, int, int]
EXPORT_COLUMNS: tuple[Column[BundleRow], ...] = (
    Column(_l("Bundle"), lambda r: r[0].name, width=20),
    Column(_l("SKU"), lambda r: r[0].sku, width=12),
    Column(_l("Price"), lambda r: r[2].price_fen, "money", 10),
    Column(
        _l("Items"),
        lambda r: "；".join(f"{i.item.name} × {_quantity_text(i.quantity_milli)}" for i in r[1]),
        width=40,
    ),
    Column(_l("Items bought one by one"), lambda r: r[3], "money", 12),
    Column(_l("Saving"), lambda r: r[4], "money", 10),
    Column(_l("Status"), lambda r: r[0].get_status_display(), width=8),
)


@login_required
def bundle_list(request: HttpRequest) -> HttpResponseBase:
    """The bundles with their price at the actor's store (and in Excel with
    ``?export=xlsx``)."""
    actor, rights = catalog_viewer(request)
    bundles = list(selectors.bundle_list())
    ids = {b.pk for b in bundles} | {i.item_id for b in bundles for i in b.bundle_items.all()}
    prices = selectors.prices_in_force(ids, store_id=actor.store_id, at=timezone.now())
    rows = []
    for bundle in bundles:
        items = list(bundle.bundle_items.all())
        worth = sum(prices[i.item_id].price_fen * i.quantity_milli // MILLI for i in items)
        rows.append((bundle, items, prices[bundle.pk], worth, worth - prices[bundle.pk].price_fen))
    if wants_xlsx(request):
        return xlsx_download(name="bundles", title=_("Bundles"), columns=EXPORT_COLUMNS, rows=rows)
    return render(request, "console/catalog/bundles.html", {"rows": rows, "rights": rights})


def _quantity_text(milli: int) -> str:
    whole, rest = divmod(milli, MILLI)
    return str(whole) if not rest else f"{whole}.{rest:03d}".rstrip("0")


@login_required
@require_http_methods(["GET", "POST"])
def bundle_items(request: HttpRequest, product_id: int) -> HttpResponse:
    actor, rights = catalog_viewer(request)
    bundle = product_or_404(product_id)
    if not bundle.is_bundle:
        return redirect("console:catalog_product", product_id=bundle.pk)
    if request.method == "POST" and not rights.manage:
        raise HttpForbidden(_("You do not have permission to do this."))
    current = selectors.bundle_items(bundle.pk)
    initial = [
        {"code": item.item.sku, "quantity": _quantity_text(item.quantity_milli)} for item in current
    ]
    initial += [{}] * max(ROWS - len(initial), 2)
    formset = BundleItemFormSet(request.POST or None, initial=initial, prefix="items")
    errors: list[str] = []
    if request.method == "POST" and formset.is_valid():
        entries: list[BundleItemInput] = []
        entry_forms = []
        for form in formset.forms:
            code = (form.cleaned_data.get("code") or "").strip()
            if not code:
                continue
            product = selectors.product_by_code(code)
            if product is None:
                form.add_error("code", _("No product has this code."))
                continue
            entries.append(BundleItemInput(product.pk, form.cleaned_data["quantity_milli"]))
            entry_forms.append(form)
        if all(form.is_valid() for form in formset.forms):
            try:
                services.bundle_set_items(actor=actor, bundle_id=bundle.pk, items=entries)
            except DomainError as exc:
                refuse_if_forbidden(exc)
                index = (exc.details or {}).get("index")
                if isinstance(index, int) and index < len(entry_forms):
                    field = "quantity" if "quantity" in exc.code else "code"
                    entry_forms[index].add_error(field, str(exc.message))
                else:
                    errors.append(str(exc.message))
            else:
                messages.success(
                    request, _("The contents of %(name)s are saved.") % {"name": bundle.name}
                )
                return redirect("console:catalog_bundle_items", product_id=bundle.pk)
    prices = selectors.prices_in_force(
        {bundle.pk} | {i.item_id for i in current}, store_id=actor.store_id, at=timezone.now()
    )
    worth = sum(prices[i.item_id].price_fen * i.quantity_milli // MILLI for i in current)
    return render(
        request,
        "console/catalog/bundle_items.html",
        {
            "product": bundle,
            "formset": formset,
            "errors": errors,
            "rights": rights,
            "current": [(i, prices[i.item_id]) for i in current],
            "price": prices[bundle.pk],
            "worth": worth,
        },
    )
