"""Reads of segments: members of a segment (evaluated each time), counts, lists, profiles,
RFM summary, predictions and cross-sell pairs.

``segment_member_ids(segment, actor=...)`` is the audience other features (coupons,
messages, activities) take: active members matching the segment's filter, within the
segment's own store (a store-scoped author's segment) and within the stores of the actor
that uses it. It checks no permission: the calling service has checked its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.members.models import Member
from huiyuan.segments.filters import definition_clean, definition_q
from huiyuan.segments.models import (
    CrossSellPair,
    MemberProfile,
    ModelFit,
    RfmClass,
    RfmSettings,
    Segment,
)
from huiyuan.stores.scope import stores_in_view


def _scoped_members(
    definition: dict[str, Any], *, store_id: int | None, actor: Actor | None
) -> QuerySet[Member]:
    qs = Member.objects.filter(status=Member.Status.ACTIVE).filter(definition_q(definition))
    if store_id is not None:
        qs = qs.filter(home_store_id=store_id)
    if actor is not None and actor.store_ids is not None:
        qs = qs.filter(home_store_id__in=actor.store_ids)
    return qs


def segment_members(segment: Segment, *, actor: Actor | None = None) -> QuerySet[Member]:
    """The segment's members as a query (evaluated each time it is used)."""
    return _scoped_members(segment.definition, store_id=segment.store_id, actor=actor)


def segment_member_ids(segment: Segment, actor: Actor | None = None) -> QuerySet[Member, int]:
    """Ids of the segment's members (a ``values_list`` query; use it as a subquery)."""
    return segment_members(segment, actor=actor).values_list("pk", flat=True)


def segment_count(segment: Segment, actor: Actor | None = None) -> int:
    return segment_members(segment, actor=actor).count()


def definition_count(*, actor: Actor, definition: Any, store_id: int | None = None) -> int:
    """How many members a (not yet saved) definition matches for ``actor``: the live count
    the console shows while the marketer edits a filter."""
    require(actor, Perm.SEGMENT_VIEW)
    cleaned = definition_clean(definition)
    if store_id is None and actor.store_ids is not None and len(actor.store_ids) == 1:
        store_id = next(iter(actor.store_ids))
    return _scoped_members(cleaned, store_id=store_id, actor=actor).count()


def segment_list(*, actor: Actor, query: str = "") -> QuerySet[Segment]:
    """Segments the actor may use: chain-wide ones and those of its stores."""
    require(actor, Perm.SEGMENT_VIEW)
    qs = Segment.objects.select_related("store", "created_by")
    if actor.store_ids is not None:
        qs = qs.filter(Q(store_id__isnull=True) | Q(store_id__in=actor.store_ids))
    if query.strip():
        qs = qs.filter(name__icontains=query.strip())
    return qs.order_by("name", "id")


def segment_get(*, actor: Actor, segment_id: int) -> Segment:
    segment = segment_list(actor=actor).filter(pk=segment_id).first()
    if segment is None:
        raise NotFound(_not_found(), code="segment_not_found")
    return segment


def _not_found() -> str:
    from django.utils.translation import gettext

    return gettext("Segment not found.")


def rfm_settings_get() -> RfmSettings:
    settings = RfmSettings.objects.order_by("pk").first()
    if settings is None:
        settings = RfmSettings.objects.create()
    return settings


@dataclass(frozen=True)
class RfmRow:
    rfm_class: str
    label: str
    members: int
    spend_fen: int
    purchases: int


@dataclass(frozen=True)
class RfmSummary:
    rows: list[RfmRow]
    members: int
    loyal: int
    big_spender: int
    at_risk: int
    lost: int
    computed_at: Any


def rfm_summary(*, actor: Actor, store_id: int | None = None) -> RfmSummary:
    """Members per RFM class (and per label) in the actor's view."""
    require(actor, Perm.SEGMENT_VIEW)
    stores = stores_in_view(actor, store_id)
    qs = MemberProfile.objects.filter(member__status=Member.Status.ACTIVE)
    if stores is not None:
        qs = qs.filter(member__home_store_id__in=stores)
    per_class = {
        row["rfm_class"]: row
        for row in qs.values("rfm_class").annotate(
            n=Count("pk"), spend=Sum("window_spend_fen"), buys=Sum("window_purchases")
        )
    }
    rows = [
        RfmRow(
            rfm_class=value,
            label=str(label),
            members=per_class.get(value, {}).get("n", 0),
            spend_fen=per_class.get(value, {}).get("spend") or 0,
            purchases=per_class.get(value, {}).get("buys") or 0,
        )
        for value, label in RfmClass.choices
    ]
    flags = qs.aggregate(
        loyal=Count("pk", filter=Q(loyal=True)),
        big=Count("pk", filter=Q(big_spender=True)),
        risk=Count("pk", filter=Q(at_risk=True)),
        lost=Count("pk", filter=Q(lost=True)),
    )
    latest = qs.order_by("-computed_at").values_list("computed_at", flat=True).first()
    return RfmSummary(
        rows=rows,
        members=sum(r.members for r in rows),
        loyal=flags["loyal"],
        big_spender=flags["big"],
        at_risk=flags["risk"],
        lost=flags["lost"],
        computed_at=latest,
    )


def profile_list(
    *, actor: Actor, store_id: int | None = None, order: str = "risk"
) -> QuerySet[MemberProfile]:
    """Member profiles in the actor's view, highest churn risk (or CLV) first."""
    require(actor, Perm.SEGMENT_VIEW)
    stores = stores_in_view(actor, store_id)
    qs = MemberProfile.objects.select_related("member", "member__home_store").filter(
        member__status=Member.Status.ACTIVE, p_alive__isnull=False
    )
    if stores is not None:
        qs = qs.filter(member__home_store_id__in=stores)
    if order == "clv":
        return qs.order_by("-clv_fen", "member_id")
    return qs.order_by("p_alive", "-spend_fen", "member_id")


def model_fit_latest() -> ModelFit | None:
    return ModelFit.objects.order_by("-fitted_at", "-id").first()


def cross_sell_list(*, actor: Actor, level: str = "") -> QuerySet[CrossSellPair]:
    require(actor, Perm.SEGMENT_VIEW)
    qs = CrossSellPair.objects.all()
    if level:
        qs = qs.filter(level=level)
    return qs.order_by("level", "-lift", "-support", "antecedent", "consequent")
