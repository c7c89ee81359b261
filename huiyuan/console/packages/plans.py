"""Plans (次卡方案): list, create, edit. Head office manages them (``catalog.manage``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_http_methods

from huiyuan.catalog.models import Product
from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.console.packages.forms import PlanForm
from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Perm
from huiyuan.core.xlsx import Column
from huiyuan.packages import plans as plan_services
from huiyuan.packages import selectors
from huiyuan.packages.models import PackagePlan
from huiyuan.stores.selectors import store_names

ALIASES = {
    "product_id": "product",
    "store_ids": "stores",
    "refund_fee_fen": "refund_fee",
    "refund_fee_bp": "refund_fee_percent",
}


def _gives(plan: PackagePlan) -> str:
    return "；".join(
        f"{item.name} × {item.uses}" if item.uses else item.name for item in plan.items.all()
    )


def _validity(plan: PackagePlan) -> str:
    if not plan.validity_value:
        return _("no expiry")
    return f"{plan.validity_value} {plan.get_validity_unit_display()}"


def _limit(plan: PackagePlan) -> str:
    if not plan.limit_count:
        return ""
    return _("%(n)s uses %(p)s") % {"n": plan.limit_count, "p": plan.get_limit_period_display()}


def _export_columns(stores: dict[int, str]) -> tuple[Column[PackagePlan], ...]:
    def where(plan: PackagePlan) -> str:
        if plan.all_stores:
            return _("All")
        return "、".join(stores.get(pk, str(pk)) for pk in plan.store_ids)

    return (
        Column(_l("Plan"), lambda p: p.name, width=18),
        Column(_l("Kind"), lambda p: p.get_kind_display(), width=10),
        Column(_l("Product"), lambda p: p.product.name, width=18),
        Column(_l("SKU"), lambda p: p.product.sku, width=12),
        Column(_l("Gives"), _gives, width=28),
        Column(_l("Validity"), _validity, width=10),
        Column(
            _l("Validity starts"),
            lambda p: p.get_activation_display() if p.validity_value else "",
            width=14,
        ),
        Column(_l("Limit"), _limit, width=14),
        Column(_l("Stores"), where, width=16),
        Column(_l("Refund fee"), lambda p: p.refund_fee_fen, "money", 10),
        Column(_l("Refund fee (%)"), lambda p: Decimal(p.refund_fee_bp) / 100, "number", 10),
        Column(_l("On sale"), lambda p: _("Yes") if p.active else _("No"), width=8),
    )


@login_required
def plan_list(request: HttpRequest) -> HttpResponseBase:
    actor = acting_staff(request, Perm.CATALOG_VIEW)
    rows = list(selectors.plan_list(actor=actor))
    if wants_xlsx(request):
        return xlsx_download(
            name="count-card-plans",
            title=_("Card plans"),
            columns=_export_columns(store_names()),
            rows=rows,
        )
    return render(
        request,
        "console/packages/plans.html",
        {
            "plans": rows,
            "stores": store_names(),
            "may_manage": actor.has(Perm.CATALOG_MANAGE),
        },
    )


def _product_choices(plan: PackagePlan | None) -> list[tuple[int, str]]:
    taken = set(PackagePlan.objects.values_list("product_id", flat=True))
    if plan is not None:
        taken.discard(plan.product_id)
    products = Product.objects.filter(kind=Product.Kind.STANDARD, divisible=False).exclude(
        pk__in=taken
    )
    return [(p.pk, f"{p.name} ({p.sku})") for p in products.order_by("sku")]


def _initial(plan: PackagePlan) -> dict[str, Any]:
    items = list(plan.items.all())
    return {
        "product": plan.product_id,
        "name": plan.name,
        "kind": plan.kind,
        "uses": items[0].uses if plan.kind == "count" and items else None,
        "items": "\n".join(f"{i.name} {i.uses}" for i in items) if plan.kind == "course" else "",
        "validity_value": plan.validity_value,
        "validity_unit": plan.validity_unit,
        "activation": plan.activation,
        "limit_count": plan.limit_count,
        "limit_period": plan.limit_period,
        "all_stores": plan.all_stores,
        "stores": plan.store_ids,
        "refund_fee": fen_to_yuan_str(plan.refund_fee_fen).lstrip("¥"),
        "refund_fee_percent": Decimal(plan.refund_fee_bp) / 100,
        "active": plan.active,
    }


def _input(form: PlanForm) -> plan_services.PlanInput:
    data = form.cleaned_data
    return plan_services.PlanInput(
        product_id=data["product"],
        name=data["name"],
        kind=data["kind"],
        items=form.plan_items(),
        validity_value=data.get("validity_value"),
        validity_unit=data["validity_unit"],
        activation=data["activation"],
        limit_count=data.get("limit_count"),
        limit_period=data["limit_period"],
        all_stores=data["all_stores"],
        store_ids=data.get("stores") or [],
        refund_fee_fen=data.get("refund_fee") or 0,
        refund_fee_bp=form.fee_bp(),
        active=data["active"],
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, plan_id: int | None = None) -> HttpResponse:
    actor = acting_staff(request, Perm.CATALOG_MANAGE)
    plan = None
    if plan_id is not None:
        plan = PackagePlan.objects.prefetch_related("items").filter(pk=plan_id).first()
        if plan is None:
            raise Http404
    form = PlanForm(
        request.POST or None,
        initial=_initial(plan) if plan else {"all_stores": True, "active": True},
        products=_product_choices(plan),
        stores=sorted(store_names().items()),
    )
    if request.method == "POST" and form.is_valid():
        try:
            if plan is None:
                saved = plan_services.plan_create(actor=actor, data=_input(form))
            else:
                saved = plan_services.plan_update(actor=actor, plan_id=plan.pk, data=_input(form))
        except DomainError as exc:
            refuse_if_forbidden(exc)
            add_domain_error(form, exc, aliases=ALIASES)
        else:
            messages.success(request, _("Plan %(name)s saved.") % {"name": saved.name})
            return redirect("console:package_plans")
    return render(request, "console/packages/plan_form.html", {"form": form, "plan": plan})
