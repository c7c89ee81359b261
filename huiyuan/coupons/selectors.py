"""Reads: templates, coupons (filtered, in the actor's store scope), statistics."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum

from huiyuan.core.clock import local_today
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.coupons.models import Coupon, CouponTemplate, IssueBatch
from huiyuan.stores.scope import stores_in_view


def templates(actor: Actor, *, status: str = "") -> QuerySet[CouponTemplate]:
    require(actor, Perm.COUPON_VIEW)
    rows = CouponTemplate.objects.all()
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-pk")


def _scoped(actor: Actor, rows: QuerySet[Coupon]) -> QuerySet[Coupon]:
    stores = stores_in_view(actor)
    if stores is None:
        return rows
    return rows.filter(Q(member__home_store_id__in=stores) | Q(used_store_id__in=stores))


def coupons(
    actor: Actor,
    *,
    template_id: int | None = None,
    member_id: int | None = None,
    status: str = "",
    code: str = "",
) -> QuerySet[Coupon]:
    """Coupons, newest first; ``status`` may also be ``expired`` (unused, past validity)."""
    require(actor, Perm.COUPON_VIEW)
    rows = Coupon.objects.select_related("template", "member")
    if template_id is not None:
        rows = rows.filter(template_id=template_id)
    if member_id is not None:
        rows = rows.filter(member_id=member_id)
    if code:
        rows = rows.filter(code=code.strip().upper().replace("-", ""))
    today = local_today()
    if status == "expired":
        rows = rows.filter(status=Coupon.Status.UNUSED, valid_to__lt=today)
    elif status == Coupon.Status.UNUSED:
        rows = rows.filter(status=status).exclude(valid_to__lt=today)
    elif status:
        rows = rows.filter(status=status)
    return _scoped(actor, rows).order_by("-pk")


@dataclass(frozen=True)
class TemplateStats:
    issued: int
    claimed: int
    used: int
    expired: int
    discount_fen: int
    sales_fen: int  # what the sales that used a coupon came to (sales driven)

    @property
    def redemption_permille(self) -> int:
        return self.used * 1000 // self.issued if self.issued else 0

    @property
    def redemption_rate(self) -> str:
        return f"{self.redemption_permille / 10:.1f}%"


def template_stats(actor: Actor, template_id: int) -> TemplateStats:
    require(actor, Perm.COUPON_VIEW)
    today = local_today()
    rows = _scoped(actor, Coupon.objects.filter(template_id=template_id))
    used = Q(status=Coupon.Status.USED)
    figures = rows.aggregate(
        issued=Count("pk"),
        claimed=Count("pk", filter=Q(channel=Coupon.Channel.CLAIM)),
        used=Count("pk", filter=used),
        expired=Count("pk", filter=Q(status=Coupon.Status.UNUSED, valid_to__lt=today)),
        discount=Sum("discount_fen", filter=used),
        sales=Sum("sale_payable_fen", filter=used),
    )
    return TemplateStats(
        issued=figures["issued"],
        claimed=figures["claimed"],
        used=figures["used"],
        expired=figures["expired"],
        discount_fen=figures["discount"] or 0,
        sales_fen=figures["sales"] or 0,
    )


def batches(actor: Actor, template_id: int | None = None) -> QuerySet[IssueBatch]:
    require(actor, Perm.COUPON_VIEW)
    rows = IssueBatch.objects.select_related("template")
    if template_id is not None:
        rows = rows.filter(template_id=template_id)
    return rows.order_by("-pk")
