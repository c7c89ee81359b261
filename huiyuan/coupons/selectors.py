"""Reads: templates, coupons (filtered, in the actor's store scope), statistics."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum

from huiyuan.core.clock import local_today
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.coupons.models import Coupon, CouponTemplate, IssueBatch
from huiyuan.segments.models import Segment
from huiyuan.segments.selectors import segment_count
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
    # Issued, by channel besides claims: by hand, in batches, on events (registration,
    # recharge, care dates…), as referral rewards. With ``claimed`` they add up to ``issued``.
    manual: int
    batch: int
    on_event: int
    referral: int
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
        manual=Count("pk", filter=Q(channel=Coupon.Channel.MANUAL)),
        batch=Count("pk", filter=Q(channel=Coupon.Channel.BATCH)),
        on_event=Count("pk", filter=Q(channel=Coupon.Channel.EVENT)),
        referral=Count("pk", filter=Q(channel=Coupon.Channel.REFERRAL)),
        used=Count("pk", filter=used),
        expired=Count("pk", filter=Q(status=Coupon.Status.UNUSED, valid_to__lt=today)),
        discount=Sum("discount_fen", filter=used),
        sales=Sum("sale_payable_fen", filter=used),
    )
    return TemplateStats(
        issued=figures["issued"],
        claimed=figures["claimed"],
        manual=figures["manual"],
        batch=figures["batch"],
        on_event=figures["on_event"],
        referral=figures["referral"],
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


@dataclass(frozen=True)
class SegmentChoice:
    segment: Segment
    members: int  # the segment's members now, in the actor's stores


def batch_segments(actor: Actor, *, limit: int = 100) -> list[SegmentChoice]:
    """Saved segments a batch may go to (chain-wide ones and those of the actor's stores),
    each with its live member count in the actor's stores."""
    require(actor, Perm.COUPON_MANAGE)
    rows = Segment.objects.order_by("name", "pk")
    if actor.store_ids is not None:
        rows = rows.filter(Q(store_id__isnull=True) | Q(store_id__in=actor.store_ids))
    return [SegmentChoice(s, segment_count(s, actor=actor)) for s in rows[:limit]]


def batch_segment(batch: IssueBatch) -> Segment | None:
    """The saved segment a batch goes to (None: a filter, or the segment was deleted)."""
    segment_id = batch.filter.get("segment_id")
    return None if segment_id is None else Segment.objects.filter(pk=segment_id).first()
