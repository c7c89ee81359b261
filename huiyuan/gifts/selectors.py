"""Reads of the gift catalog: gifts, stock movements, redemptions, distributions, lotteries.

Redemption and draw lists follow the actor's store scope (``stores_in_view``): a
store-scoped actor sees what happened at its stores.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from huiyuan.core import pii
from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.gifts.models import Distribution, Draw, Gift, GiftMovement, Lottery, Redemption
from huiyuan.members.models import Member
from huiyuan.stores.scope import stores_in_view


def gift_list(*, actor: Actor, query: str = "", status: str = "") -> QuerySet[Gift]:
    require(actor, Perm.GIFT_VIEW)
    rows = Gift.objects.all()
    query = (query or "").strip()
    if query:
        rows = rows.filter(Q(code__icontains=query) | Q(name__icontains=query))
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("status", "code")


def gifts_on_offer() -> QuerySet[Gift]:
    """Gifts a member can redeem now: on offer and in stock."""
    return Gift.objects.filter(status=Gift.Status.ACTIVE, stock__gt=0).order_by("points_price")


def gift_get(*, actor: Actor, gift_id: int) -> Gift:
    require(actor, Perm.GIFT_VIEW)
    gift = Gift.objects.filter(pk=gift_id).first()
    if gift is None:
        raise NotFound(_("Gift not found."), code="gift_not_found")
    return gift


def gift_movements(*, actor: Actor, gift_id: int) -> QuerySet[GiftMovement]:
    gift_get(actor=actor, gift_id=gift_id)
    return GiftMovement.objects.filter(gift_id=gift_id).select_related("operator").order_by("-id")


@dataclass(frozen=True)
class RedemptionFilters:
    store_id: int | None = None
    member_id: int | None = None
    card_id: int | None = None
    gift_id: int | None = None
    status: str = ""
    channel: str = ""


def redemption_list(*, actor: Actor, filters: RedemptionFilters) -> QuerySet[Redemption]:
    require(actor, Perm.GIFT_VIEW)
    stores = stores_in_view(actor, filters.store_id)
    rows = Redemption.objects.select_related("gift", "created_by")
    if stores is not None:
        rows = rows.filter(store_id__in=stores)
    for field in ("member_id", "card_id", "gift_id"):
        value = getattr(filters, field)
        if value is not None:
            rows = rows.filter(**{field: value})
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    return rows.order_by("-created_at", "-id")


def redemption_get(*, actor: Actor, redemption_id: int) -> Redemption:
    require(actor, Perm.GIFT_VIEW)
    row = Redemption.objects.select_related("gift").filter(pk=redemption_id).first()
    stores = stores_in_view(actor)
    if row is None or (stores is not None and row.store_id not in stores):
        raise NotFound(_("Redemption not found."), code="redemption_not_found")
    return row


def distribution_list(*, actor: Actor) -> QuerySet[Distribution]:
    require(actor, Perm.GIFT_VIEW)
    return Distribution.objects.select_related("gift").order_by("-id")


def distribution_get(*, actor: Actor, distribution_id: int) -> Distribution:
    require(actor, Perm.GIFT_VIEW)
    row = Distribution.objects.select_related("gift").filter(pk=distribution_id).first()
    if row is None:
        raise NotFound(_("Distribution not found."), code="distribution_not_found")
    return row


def lottery_list(*, actor: Actor) -> QuerySet[Lottery]:
    require(actor, Perm.GIFT_VIEW)
    return Lottery.objects.prefetch_related("prizes").order_by("-id")


def lotteries_running() -> QuerySet[Lottery]:
    return Lottery.objects.filter(status=Lottery.Status.ACTIVE).order_by("-id")


def lottery_get(*, actor: Actor, lottery_id: int) -> Lottery:
    require(actor, Perm.GIFT_VIEW)
    row = Lottery.objects.prefetch_related("prizes").filter(pk=lottery_id).first()
    if row is None:
        raise NotFound(_("Lottery not found."), code="lottery_not_found")
    return row


def draw_list(
    *, actor: Actor, lottery_id: int | None = None, member_id: int | None = None
) -> QuerySet[Draw]:
    require(actor, Perm.GIFT_VIEW)
    stores = stores_in_view(actor)
    rows = Draw.objects.select_related("prize", "picked", "lottery")
    if stores is not None:
        rows = rows.filter(store_id__in=stores)
    if lottery_id is not None:
        rows = rows.filter(lottery_id=lottery_id)
    if member_id is not None:
        rows = rows.filter(member_id=member_id)
    return rows.order_by("-id")


def draw_get(*, actor: Actor, draw_id: int) -> Draw:
    row = draw_list(actor=actor).filter(pk=draw_id).first()
    if row is None:
        raise NotFound(_("Draw not found."), code="draw_not_found")
    return row


def member_ids_by_keys(keys: list[str]) -> tuple[list[int], list[str]]:
    """Member ids for member numbers or mobiles (a batch's list); and the keys not found."""
    found: dict[str, int] = dict(Member.objects.filter(code__in=keys).values_list("code", "pk"))
    rest = [k for k in keys if k not in found]
    if rest:
        hashes = {pii.keyed_hash(k): k for k in rest}
        for digest, pk in Member.objects.filter(mobile_hash__in=list(hashes)).values_list(
            "mobile_hash", "pk"
        ):
            if digest is not None:
                found[hashes[digest]] = pk
    missing = [k for k in keys if k not in found]
    return sorted(set(found.values())), missing
