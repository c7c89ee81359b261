"""Reads of benefit plans and cards, related rows fetched up front (store scope respected)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from huiyuan.benefits.models import BenefitChange, BenefitPlan, MemberBenefit
from huiyuan.catalog.models import Category, Product
from huiyuan.core.errors import NotFound
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.packages.models import LimitPeriod, MemberPackage, PackagePlan
from huiyuan.packages.services import uses_in_period
from huiyuan.pricing.reasons import zhe
from huiyuan.selfservice.actor import MemberActor, own_object


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def plan_list(*, actor: Actor, active_only: bool = False) -> QuerySet[BenefitPlan]:
    require(actor, Perm.CATALOG_VIEW)
    rows = BenefitPlan.objects.select_related("product", "free_plan")
    return rows.filter(active=True) if active_only else rows


def plan_get(*, actor: Actor, plan_id: int) -> BenefitPlan:
    plan = plan_list(actor=actor).filter(pk=plan_id).first() if _int(plan_id) else None
    if plan is None:
        raise NotFound(_("Plan not found."), code="plan_not_found")
    return plan


def _benefits() -> QuerySet[MemberBenefit]:
    return MemberBenefit.objects.select_related("plan", "store", "package", "member")


def member_benefits(*, actor: Actor, member_id: int) -> list[MemberBenefit]:
    """A member's benefit cards, the active one first."""
    require(actor, Perm.MEMBER_VIEW)
    rows = _benefits().filter(member_id=member_id)
    return sorted(rows, key=lambda b: (b.status != MemberBenefit.Status.ACTIVE, -b.pk))


def benefit_get(*, actor: Actor, benefit_id: int) -> MemberBenefit:
    require(actor, Perm.MEMBER_VIEW)
    benefit = _benefits().filter(pk=benefit_id).first() if _int(benefit_id) else None
    if benefit is None:
        raise NotFound(_("Benefit card not found."), code="benefit_not_found")
    return benefit


def benefit_changes(*, actor: Actor, benefit_id: int) -> list[BenefitChange]:
    require(actor, Perm.MEMBER_VIEW)
    return list(
        BenefitChange.objects.filter(benefit_id=benefit_id)
        .select_related("store", "operator", "target")
        .order_by("-created_at", "-pk")
    )


def benefit_list(
    *, actor: Actor, status: str = "", plan_id: int | None = None
) -> QuerySet[MemberBenefit]:
    """Cards sold, newest first; a store-scoped actor sees its stores' cards only."""
    require(actor, Perm.MEMBER_VIEW)
    rows = _benefits()
    if actor.store_ids is not None:
        rows = rows.filter(store_id__in=actor.store_ids)
    if status:
        rows = rows.filter(status=status)
    if plan_id:
        rows = rows.filter(plan_id=plan_id)
    return rows.order_by("-created_at", "-pk")


# ------------------------------------------------------------ the member's own view


def plans_on_sale() -> list[tuple[BenefitPlan, int]]:
    """The plans a member may buy online, with their price (the product's list price)."""
    rows = BenefitPlan.objects.filter(active=True).select_related("product", "free_plan")
    return [(p, p.product.list_price_fen) for p in rows if p.product.list_price_fen > 0]


def plans_exist() -> bool:
    return BenefitPlan.objects.exists()


def my_benefits(actor: MemberActor) -> list[MemberBenefit]:
    """The acting member's benefit cards, the active one first."""
    rows = MemberBenefit.objects.filter(member_id=actor.member_id).select_related(
        "plan", "store", "package"
    )
    return sorted(rows, key=lambda b: (b.status != MemberBenefit.Status.ACTIVE, -b.pk))


def my_benefit(actor: MemberActor, benefit_id: int) -> MemberBenefit:
    """One of the acting member's cards (another member's is not found)."""
    benefit = (
        MemberBenefit.objects.select_related("plan", "store", "package")
        .filter(pk=benefit_id)
        .first()
        if _int(benefit_id)
        else None
    )
    return own_object(actor, benefit)


@dataclass(frozen=True)
class Privilege:
    text: str
    saving_fen: int | None = None  # member-only price: what it saves per unit


def privileges_of(terms: dict[str, Any]) -> list[Privilege]:
    """A card's privileges as sold, in words (折 as shoppers say it) and yuan."""
    out: list[Privilege] = []
    rate = int(terms.get("paid_permille", 1000))
    if rate < 1000:
        out.append(Privilege(_("Everything a further %(zhe)s") % {"zhe": zhe(rate)}))
    categories = terms.get("category_discounts") or {}
    labels = dict(Category.objects.filter(code__in=list(categories)).values_list("code", "name"))
    for code, value in sorted(categories.items()):
        out.append(
            Privilege(
                _("%(cat)s a further %(zhe)s")
                % {"cat": labels.get(code, code), "zhe": zhe(int(value))}
            )
        )
    pct = int(terms.get("points_multiplier_pct", 100))
    if pct != 100:
        out.append(Privilege(_("Points × %(p)s%%") % {"p": pct}))
    prices = {int(k): int(v) for k, v in (terms.get("member_prices") or {}).items()}
    products = {p.pk: p for p in Product.objects.filter(pk__in=list(prices))}
    for pk, fen in sorted(prices.items()):
        product = products.get(pk)
        if product is None:
            continue
        out.append(
            Privilege(
                _("%(product)s member price %(price)s (list price %(list)s)")
                % {
                    "product": product.name,
                    "price": fen_to_yuan_str(fen),
                    "list": fen_to_yuan_str(product.list_price_fen),
                },
                saving_fen=max(0, product.list_price_fen - fen),
            )
        )
    free_plan_id = terms.get("free_plan_id")
    if free_plan_id:
        plan = PackagePlan.objects.prefetch_related("items").filter(pk=free_plan_id).first()
        if plan is not None and plan.limit_count:
            out.append(
                Privilege(
                    _("%(items)s free, %(n)s times %(period)s")
                    % {
                        "items": "、".join(i.name for i in plan.items.all()),
                        "n": plan.limit_count,
                        "period": LimitPeriod(plan.limit_period).label,
                    }
                )
            )
    if terms.get("priority_text"):
        out.append(Privilege(str(terms["priority_text"])))
    return out


@dataclass(frozen=True)
class FreeUses:
    limit: int  # per period
    used: int  # in the period holding today
    left: int
    period: str  # its label


def free_uses_left(benefit: MemberBenefit, today: dt.date) -> FreeUses | None:
    """The card's free uses in the period holding ``today`` (None: the card gives none)."""
    package = benefit.package
    if package is None or package.limit_count is None:
        return None
    if package.status != MemberPackage.Status.ACTIVE:
        return FreeUses(package.limit_count, 0, 0, str(LimitPeriod(package.limit_period).label))
    used = uses_in_period(package, today)
    return FreeUses(
        limit=package.limit_count,
        used=used,
        left=max(0, package.limit_count - used),
        period=str(LimitPeriod(package.limit_period).label),
    )


def my_benefit_changes(benefit: MemberBenefit) -> list[BenefitChange]:
    return list(
        BenefitChange.objects.filter(benefit_id=benefit.pk)
        .select_related("store", "target")
        .order_by("-created_at", "-pk")
    )
