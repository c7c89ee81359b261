"""The category tree (商品分类): see it, add to it, rename and move a category."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_http_methods

from huiyuan.catalog import selectors, services
from huiyuan.catalog.models import Category
from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.catalog.common import catalog_viewer
from huiyuan.console.catalog.forms import CategoryEditForm, CategoryForm
from huiyuan.console.config.common import refuse_if_forbidden
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.core.errors import DomainError, NotFound
from huiyuan.core.xlsx import Column

ALIASES = {"parent_id": "parent"}

EXPORT_COLUMNS: tuple[Column[Category], ...] = (  # the tree's order; the full name nests
    Column(pgettext_lazy("catalog", "Name"), lambda c: c.name, width=16),
    Column(_l("Category path"), lambda c: c.full_name, width=28),
    Column(_l("Code"), lambda c: c.path, width=24),
    Column(_l("Level"), lambda c: c.depth + 1, "number", 8),
    Column(_l("Products"), lambda c: c.product_count, "number", 10),  # type: ignore[attr-defined]
    Column(_l("Order"), lambda c: c.position, "number", 8),
)


def _page(
    request: HttpRequest,
    *,
    form: CategoryForm,
    edit_form: CategoryEditForm | None = None,
    editing: Category | None = None,
) -> HttpResponse:
    _actor, rights = catalog_viewer(request)
    return render(
        request,
        "console/catalog/categories.html",
        {
            "tree": selectors.category_tree(),
            "form": form,
            "edit_form": edit_form,
            "editing": editing,
            "rights": rights,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def categories(request: HttpRequest) -> HttpResponseBase:
    actor, _rights = catalog_viewer(request)
    if request.method == "GET" and wants_xlsx(request):
        return xlsx_download(
            name="categories",
            title=_("Categories"),
            columns=EXPORT_COLUMNS,
            rows=selectors.category_tree(),
        )
    choices = selectors.category_choices()
    form = CategoryForm(request.POST or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            category = services.category_create(
                actor=actor,
                code=data["code"],
                name=data["name"],
                parent_id=data["parent"],
                position=data["position"],
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(form, exc, aliases=ALIASES)
        else:
            messages.success(request, _("Category %(name)s added.") % {"name": category.name})
            return redirect("console:catalog_categories")
    return _page(request, form=form)


@login_required
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, category_id: int) -> HttpResponse:
    actor, _rights = catalog_viewer(request)
    try:
        category = selectors.category_get(category_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    # A category cannot go under itself or below: those are left out of the choices.
    choices = [
        (pk, label)
        for pk, label, path in (
            (c.pk, f"{'　' * c.depth}{c.name}", c.path) for c in selectors.category_tree()
        )
        if path != category.path and not path.startswith(f"{category.path}/")
    ]
    initial = {"name": category.name, "parent": category.parent_id, "position": category.position}
    edit_form = CategoryEditForm(request.POST or None, initial=initial, choices=choices)
    if request.method == "POST" and edit_form.is_valid():
        data = edit_form.cleaned_data
        try:
            services.category_update(
                actor=actor,
                category_id=category.pk,
                name=data["name"],
                parent_id=data["parent"],
                position=data["position"],
            )
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(edit_form, exc, aliases=ALIASES)
        else:
            messages.success(request, _("Category %(name)s saved.") % {"name": data["name"]})
            return redirect("console:catalog_categories")
    form = CategoryForm(choices=selectors.category_choices())
    return _page(request, form=form, edit_form=edit_form, editing=category)
