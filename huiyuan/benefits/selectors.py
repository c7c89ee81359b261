"""Reads of benefit plans and cards, related rows fetched up front (store scope respected)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from huiyuan.benefits.models import BenefitChange, BenefitPlan, MemberBenefit
from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor, Perm, require


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
