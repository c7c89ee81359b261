"""Benefit-card pages (权益卡): plans, the cards sold, one card (upgrade, refund)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from huiyuan.benefits import plans as plan_services
from huiyuan.benefits import selectors, services
from huiyuan.benefits.models import BenefitPlan, MemberBenefit
from huiyuan.catalog.models import Category, Product
from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.benefits.forms import PlanForm, RefundForm, UpgradeForm
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.core.clock import local_date
from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor, Perm
from huiyuan.core.xlsx import Column
from huiyuan.packages.models import Kind, PackagePlan
from huiyuan.pricing.reasons import zhe

ALIASES = {
    "product_id": "product",
    "free_plan_id": "free_plan",
    "refund_fee_bp": "refund_fee_percent",
}
PER_PAGE = 50
EXPORT_COLUMNS: tuple[Column[MemberBenefit], ...] = (
    Column(gettext_lazy("Benefit card"), lambda b: b.name, width=20),
    Column(gettext_lazy("Card code"), lambda b: b.code, width=16),
    Column(gettext_lazy("Member"), lambda b: b.member.name, width=16),
    Column(gettext_lazy("Status"), lambda b: b.get_status_display()),
    Column(gettext_lazy("Valid from"), lambda b: b.valid_from, "date"),
    Column(gettext_lazy("Valid until"), lambda b: b.valid_until, "date"),
    Column(gettext_lazy("Paid"), lambda b: b.paid_fen, "money"),
    Column(gettext_lazy("Store"), lambda b: b.store.name, width=18),
)


def privileges(terms: dict[str, Any], names: dict[int, str] | None = None) -> list[str]:
    """The privileges of a plan or card as short sentences (折 as shoppers say it)."""
    out: list[str] = []
    rate = int(terms.get("paid_permille", 1000))
    if rate < 1000:
        out.append(_("Everything a further %(zhe)s") % {"zhe": zhe(rate)})
    categories = terms.get("category_discounts") or {}
    labels = dict(Category.objects.filter(code__in=list(categories)).values_list("code", "name"))
    for code, value in categories.items():
        out.append(
            _("%(cat)s a further %(zhe)s") % {"cat": labels.get(code, code), "zhe": zhe(int(value))}
        )
    pct = int(terms.get("points_multiplier_pct", 100))
    if pct != 100:
        out.append(_("Points × %(p)s%%") % {"p": pct})
    prices = terms.get("member_prices") or {}
    for pk, fen in prices.items():
        label = (names or {}).get(int(pk), f"#{pk}")
        out.append(
            _("%(product)s member price %(price)s")
            % {"product": label, "price": fen_to_yuan_str(int(fen))}
        )
    if terms.get("priority_text"):
        out.append(str(terms["priority_text"]))
    return out


def _product_names(terms_list: list[dict[str, Any]]) -> dict[int, str]:
    ids = {int(pk) for terms in terms_list for pk in (terms.get("member_prices") or {})}
    return dict(Product.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


PlanRow = tuple[BenefitPlan, list[str]]  # the plan and its privileges in words
PLAN_COLUMNS: tuple[Column[PlanRow], ...] = (
    Column(gettext_lazy("Plan"), lambda r: r[0].name, width=18),
    Column(gettext_lazy("Code"), lambda r: r[0].code, width=12),
    Column(gettext_lazy("Term"), lambda r: r[0].get_term_display(), width=10),
    Column(gettext_lazy("Rank"), lambda r: r[0].rank, "number", 8),
    Column(gettext_lazy("Price"), lambda r: r[0].product.list_price_fen, "money", 10),
    Column(gettext_lazy("Privileges"), lambda r: "；".join(r[1]), width=40),
    Column(
        gettext_lazy("Free uses"),
        lambda r: r[0].free_plan.name if r[0].free_plan else "",
        width=16,
    ),
    Column(gettext_lazy("Product"), lambda r: r[0].product.name, width=18),
    Column(gettext_lazy("SKU"), lambda r: r[0].product.sku, width=12),
    Column(
        gettext_lazy("Refund fee (%)"), lambda r: Decimal(r[0].refund_fee_bp) / 100, "number", 10
    ),
    Column(gettext_lazy("On sale"), lambda r: _("Yes") if r[0].active else _("No"), width=8),
)


@login_required
def plan_list(request: HttpRequest) -> HttpResponseBase:
    actor = acting_staff(request, Perm.CATALOG_VIEW)
    rows = list(selectors.plan_list(actor=actor).order_by("rank", "name"))
    terms = [plan_services.terms_of(p) for p in rows]
    names = _product_names(terms)
    plans = [(p, privileges(t, names)) for p, t in zip(rows, terms, strict=True)]
    if wants_xlsx(request):
        return xlsx_download(
            name="benefit-plans", title=_("Benefit plans"), columns=PLAN_COLUMNS, rows=plans
        )
    return render(
        request,
        "console/benefits/plans.html",
        {
            "plans": plans,
            "may_manage": actor.has(Perm.CATALOG_MANAGE),
        },
    )


def _form(request: HttpRequest, plan: BenefitPlan | None) -> PlanForm:
    taken = set(BenefitPlan.objects.values_list("product_id", flat=True)) | set(
        PackagePlan.objects.values_list("product_id", flat=True)
    )
    if plan is not None:
        taken.discard(plan.product_id)
    products = Product.objects.filter(kind=Product.Kind.STANDARD, divisible=False)
    skus = dict(Product.objects.values_list("sku", "pk"))
    initial: dict[str, Any] = {"active": True, "rank": 1, "paid_permille": 1000}
    if plan is not None:
        by_pk = {pk: sku for sku, pk in skus.items()}
        initial = {
            "product": plan.product_id,
            "code": plan.code,
            "name": plan.name,
            "term": plan.term,
            "rank": plan.rank,
            "paid_permille": plan.paid_permille,
            "category_discounts": "\n".join(
                f"{k} = {v}" for k, v in (plan.category_discounts or {}).items()
            ),
            "points_multiplier_pct": plan.points_multiplier_pct,
            "member_prices": "\n".join(
                f"{by_pk.get(int(k), k)} = {fen_to_yuan_str(int(v)).lstrip('¥')}"
                for k, v in (plan.member_prices or {}).items()
            ),
            "free_plan": plan.free_plan_id,
            "priority_text": plan.priority_text,
            "refund_fee_percent": Decimal(plan.refund_fee_bp) / 100,
            "active": plan.active,
        }
    return PlanForm(
        request.POST or None,
        initial=initial,
        products=[
            (p.pk, f"{p.name} ({p.sku}) {fen_to_yuan_str(p.list_price_fen)}")
            for p in products.exclude(pk__in=taken).order_by("sku")
        ],
        free_plans=[
            (p.pk, p.name) for p in PackagePlan.objects.filter(kind=Kind.PERIOD).order_by("name")
        ],
        skus=skus,
    )


def _input(form: PlanForm) -> plan_services.PlanInput:
    data = form.cleaned_data
    return plan_services.PlanInput(
        product_id=data["product"],
        code=data["code"],
        name=data["name"],
        term=data["term"],
        rank=data["rank"],
        paid_permille=data["paid_permille"],
        category_discounts=data["category_discounts"],
        points_multiplier_pct=data["points_multiplier_pct"],
        member_prices=data["member_prices"],
        free_plan_id=data.get("free_plan"),
        priority_text=data.get("priority_text") or "",
        refund_fee_bp=form.fee_bp(),
        active=data["active"],
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, plan_id: int | None = None) -> HttpResponse:
    actor = acting_staff(request, Perm.CATALOG_MANAGE)
    plan = None
    if plan_id is not None:
        plan = BenefitPlan.objects.filter(pk=plan_id).first()
        if plan is None:
            raise Http404
    form = _form(request, plan)
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
            return redirect("console:benefit_plans")
    return render(request, "console/benefits/plan_form.html", {"form": form, "plan": plan})


@login_required
def benefit_list(request: HttpRequest) -> HttpResponseBase:
    actor = acting_staff(request, Perm.MEMBER_VIEW)
    status = request.GET.get("status") or ""
    if status not in MemberBenefit.Status.values:
        status = ""
    rows = selectors.benefit_list(actor=actor, status=status)
    if wants_xlsx(request):
        return xlsx_download(
            name="benefit-cards",
            title=_("Cards sold"),
            columns=EXPORT_COLUMNS,
            rows=rows.iterator(chunk_size=1000),
        )
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/benefits/list.html",
        {
            "page": page,
            "status": status,
            "statuses": MemberBenefit.Status.choices,
            "today": local_date(timezone.now()),
        },
    )


def _detail_context(actor: Actor, benefit: MemberBenefit) -> dict[str, Any]:
    today = local_date(timezone.now())
    higher = [
        p
        for p in BenefitPlan.objects.select_related("product").filter(
            active=True, rank__gt=benefit.rank
        )
    ]
    upgrade_rows: list[dict[str, Any]] = []
    refund = None
    if benefit.status == MemberBenefit.Status.ACTIVE:
        for plan in higher:
            try:
                quote, price, due = services.upgrade_quote(benefit, plan, today)
            except DomainError as exc:
                upgrade_rows.append({"plan": plan, "error": str(exc.message)})
            else:
                upgrade_rows.append({"plan": plan, "quote": quote, "price": price, "due": due})
        try:
            refund = services.refund_preview(benefit, today)
        except DomainError:
            refund = None
    package = benefit.package
    return {
        "benefit": benefit,
        "privileges": privileges(benefit.terms, _product_names([benefit.terms])),
        "changes": selectors.benefit_changes(actor=actor, benefit_id=benefit.pk),
        "package": package,
        "free_used": services.free_uses_used(benefit),
        "upgrades": upgrade_rows,
        "upgrade_form": (
            UpgradeForm(plans=[(r["plan"].pk, r["plan"].name) for r in upgrade_rows if "due" in r])
            if actor.has(Perm.SALE_CREATE) and any("due" in r for r in upgrade_rows)
            else None
        ),
        "refund": refund,
        "refund_form": RefundForm() if refund and actor.has(Perm.WALLET_REFUND) else None,
        "today": today,
    }


@login_required
def benefit_detail(request: HttpRequest, benefit_id: int) -> HttpResponse:
    actor = acting_staff(request, Perm.MEMBER_VIEW)
    try:
        benefit = selectors.benefit_get(actor=actor, benefit_id=benefit_id)
    except DomainError as exc:
        raise Http404 from exc
    return render(request, "console/benefits/detail.html", _detail_context(actor, benefit))


@login_required
@require_POST
def benefit_upgrade(request: HttpRequest, benefit_id: int) -> HttpResponse:
    actor = acting_staff(request, Perm.SALE_CREATE)
    plans = [(p.pk, p.name) for p in BenefitPlan.objects.all()]
    form = UpgradeForm(request.POST, plans=plans)
    if form.is_valid():
        try:
            change = services.benefit_upgrade(
                actor=actor,
                benefit_id=benefit_id,
                plan_id=form.cleaned_data["plan"],
                method=form.cleaned_data["method"],
                idempotency_key=form.cleaned_data.get("idempotency_key") or "",
            )
        except DomainError as exc:
            refuse_if_forbidden(exc)
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _("Upgraded: %(credit)s credited, %(due)s to pay.")
                % {
                    "credit": fen_to_yuan_str(change.amount_fen),
                    "due": fen_to_yuan_str(change.due_fen),
                },
            )
            assert change.target_id is not None
            return redirect("console:benefit_detail", change.target_id)
    else:
        messages.error(request, _("The request is malformed."))
    return redirect("console:benefit_detail", benefit_id)


@login_required
@require_POST
def benefit_refund(request: HttpRequest, benefit_id: int) -> HttpResponse:
    actor = acting_staff(request, Perm.WALLET_REFUND)
    form = RefundForm(request.POST)
    if form.is_valid():
        try:
            change = services.benefit_refund(
                actor=actor,
                benefit_id=benefit_id,
                method=form.cleaned_data["method"],
                reason=form.cleaned_data["reason"],
                idempotency_key=form.cleaned_data.get("idempotency_key") or "",
            )
        except DomainError as exc:
            refuse_if_forbidden(exc)
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _("Refunded %(amount)s.") % {"amount": fen_to_yuan_str(change.amount_fen)},
            )
    else:
        messages.error(request, _("Give a reason."))
    return redirect("console:benefit_detail", benefit_id)
