"""Products (商品): search (a scanner types the code and Enter), create, edit, delist."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_http_methods, require_POST

from huiyuan.catalog import selectors, services
from huiyuan.catalog.models import Product
from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.catalog.common import catalog_viewer, product_or_404
from huiyuan.console.catalog.forms import ProductForm, ProductSearchForm
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Perm
from huiyuan.core.xlsx import Column

PAGE_SIZE = 25
ALIASES = {"category_id": "category", "list_price_fen": "list_price"}
EXPORT_COLUMNS: tuple[Column[Product], ...] = (
    Column(_l("SKU"), lambda p: p.sku, width=14),
    Column(_l("Barcode"), lambda p: p.barcode, width=16),
    Column(_l("Product name"), lambda p: p.name, width=24),
    Column(_l("Specification"), lambda p: p.spec, width=10),
    Column(_l("Category"), lambda p: p.category.name if p.category else "", width=12),
    Column(_l("Kind"), lambda p: p.get_kind_display(), width=10),
    Column(_l("Unit"), lambda p: p.get_unit_display(), width=8),
    Column(_l("List price"), lambda p: p.list_price_fen, "money", 12),
    Column(_l("Status"), lambda p: p.get_status_display(), width=8),
)


@login_required
def product_list(request: HttpRequest) -> HttpResponseBase:
    actor, rights = catalog_viewer(request)
    choices = selectors.category_choices()
    form = ProductSearchForm(request.GET or None, choices=choices)
    filters: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    query = (filters.get("q") or "").strip()
    # A scanner types a whole code and Enter: an exact barcode or SKU opens the product.
    if query and request.GET.get("go") and not request.htmx:  # type: ignore[attr-defined]
        exact = selectors.product_by_code(query)
        if exact is not None:
            return redirect("console:catalog_product", product_id=exact.pk)
    products = selectors.product_search(
        query=query,
        category_id=filters.get("category"),
        status=filters.get("status") or "",
        kind=filters.get("kind") or "",
    )
    if wants_xlsx(request):
        return xlsx_download(
            name="products",
            title=_("Products"),
            columns=EXPORT_COLUMNS,
            rows=products.iterator(chunk_size=1000),
        )
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    prices = selectors.prices_in_force(
        [p.pk for p in rows], store_id=actor.store_id, at=timezone.now()
    )
    kept = {k: v for k, v in request.GET.items() if k in form.fields and v}
    context = {
        "form": form,
        "page": page,
        "rows": [(p, prices.get(p.pk)) for p in rows],
        "query": urlencode(kept),
        "filtered": bool(kept),
        "rights": rights,
    }
    template = "console/catalog/products.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#results"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request, Perm.CATALOG_MANAGE)
    _actor, rights = catalog_viewer(request)
    form = ProductForm(
        request.POST or None,
        choices=selectors.category_choices(),
        initial={"kind": request.GET.get("kind") or Product.Kind.STANDARD},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            product = services.product_create(
                actor=actor,
                data=services.ProductInput(
                    sku=data["sku"],
                    name=data["name"],
                    list_price_fen=data["list_price"],
                    category_id=data["category"],
                    barcode=data["barcode"],
                    spec=data["spec"],
                    kind=data["kind"],
                    unit=data["unit"],
                    divisible=data["divisible"],
                    no_points=data["no_points"],
                    no_discount=data["no_discount"],
                ),
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(form, exc, aliases=ALIASES)
        else:
            messages.success(request, _("Product %(name)s created.") % {"name": product.name})
            if product.is_bundle:
                return redirect("console:catalog_bundle_items", product_id=product.pk)
            return redirect("console:catalog_product", product_id=product.pk)
    return render(
        request,
        "console/catalog/product_form.html",
        {"form": form, "product": None, "rights": rights},
    )


@login_required
@require_http_methods(["GET", "POST"])
def product_detail(request: HttpRequest, product_id: int) -> HttpResponse:
    actor, rights = catalog_viewer(request)
    product = product_or_404(product_id)
    initial = {
        "sku": product.sku,
        "name": product.name,
        "spec": product.spec,
        "barcode": product.barcode,
        "category": product.category_id,
        "unit": product.unit,
        "divisible": product.divisible,
        "no_points": product.no_points,
        "no_discount": product.no_discount,
    }
    form = ProductForm(
        request.POST or None,
        initial=initial,
        choices=selectors.category_choices(),
        editing=True,
        read_only=not rights.manage,
    )
    if request.method == "POST" and not rights.manage:
        raise HttpForbidden(_("You do not have permission to do this."))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {
            "category_id" if name == "category" else name: data[name]
            for name in initial
            if data[name] != initial[name]
        }
        try:
            if changes:
                services.product_update(actor=actor, product_id=product.pk, **changes)
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(form, exc, aliases=ALIASES)
        else:
            messages.success(request, _("Product %(name)s saved.") % {"name": data["name"]})
            return redirect("console:catalog_product", product_id=product.pk)
    now = timezone.now()
    return render(
        request,
        "console/catalog/product_form.html",
        {
            "form": form,
            "product": product,
            "rights": rights,
            "chain_price": selectors.price_in_force(product, None, now),
            "store_price": (
                selectors.price_in_force(product, actor.store_id, now)
                if actor.store_id is not None
                else None
            ),
            "list_price": fen_to_yuan_str(product.list_price_fen),
            "items": selectors.bundle_items(product.pk) if product.is_bundle else [],
        },
    )


@login_required
@require_POST
def product_status(request: HttpRequest, product_id: int) -> HttpResponse:
    actor, _rights = catalog_viewer(request)
    product = product_or_404(product_id)
    delist = request.POST.get("action") == "delist"
    try:
        if delist:
            services.product_delist(
                actor=actor, product_id=product.pk, reason=request.POST.get("reason", "")[:200]
            )
        else:
            services.product_relist(actor=actor, product_id=product.pk)
    except DomainError as exc:
        refuse_if_forbidden(exc)
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            (_("%(name)s is delisted.") if delist else _("%(name)s is on sale again."))
            % {"name": product.name},
        )
    return redirect("console:catalog_product", product_id=product.pk)
