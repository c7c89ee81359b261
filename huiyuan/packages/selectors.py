"""Reads of plans and packages, related rows fetched up front."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from huiyuan.cards.models import Card
from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.packages.models import MemberPackage, PackagePlan, PackageUse


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def plan_list(*, actor: Actor) -> QuerySet[PackagePlan]:
    require(actor, Perm.CATALOG_VIEW)
    return PackagePlan.objects.select_related("product").prefetch_related("items")


def plan_get(*, actor: Actor, plan_id: int) -> PackagePlan:
    plan = plan_list(actor=actor).filter(pk=plan_id).first() if _int(plan_id) else None
    if plan is None:
        raise NotFound(_("Plan not found."), code="plan_not_found")
    return plan


def _packages() -> QuerySet[MemberPackage]:
    return MemberPackage.objects.select_related("plan", "store", "card").prefetch_related("items")


def member_packages(
    *, actor: Actor, member_id: int, active_only: bool = False
) -> list[MemberPackage]:
    """A member's packages, the active ones first."""
    require(actor, Perm.MEMBER_VIEW)
    rows = _packages().filter(member_id=member_id)
    if active_only:
        rows = rows.filter(status=MemberPackage.Status.ACTIVE)
    return sorted(rows, key=lambda p: (p.status != MemberPackage.Status.ACTIVE, -p.pk))


def card_packages(*, actor: Actor, card_number: str) -> tuple[Card, list[MemberPackage]]:
    """The active packages usable with a card scanned at the counter: its member's (or the
    card's own when it has no member)."""
    require(actor, Perm.MEMBER_VIEW)
    card = Card.objects.select_related("member").filter(number=(card_number or "").strip()).first()
    if card is None:
        raise NotFound(_("Card not found."), code="card_not_found")
    rows = _packages().filter(status=MemberPackage.Status.ACTIVE)
    rows = rows.filter(member_id=card.member_id) if card.member_id else rows.filter(card=card)
    return card, list(rows.order_by("-pk"))


def package_by_code(*, actor: Actor, code: str) -> MemberPackage:
    require(actor, Perm.MEMBER_VIEW)
    package = _packages().filter(code=(code or "").strip().upper()).first()
    if package is None:
        raise NotFound(_("Package not found."), code="package_not_found")
    return package


def package_get(*, actor: Actor, package_id: int) -> MemberPackage:
    require(actor, Perm.MEMBER_VIEW)
    package = _packages().filter(pk=package_id).first() if _int(package_id) else None
    if package is None:
        raise NotFound(_("Package not found."), code="package_not_found")
    return package


def package_uses(*, actor: Actor, package_id: int) -> list[PackageUse]:
    """Every use and undo of a package, newest first."""
    require(actor, Perm.MEMBER_VIEW)
    return list(
        PackageUse.objects.filter(package_id=package_id)
        .select_related("item", "store", "operator", "reverses")
        .prefetch_related(Prefetch("reversed_by"))
        .order_by("-created_at", "-pk")
    )
