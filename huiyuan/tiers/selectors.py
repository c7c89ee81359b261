"""Reads of tiers: the ladder, lowest first, and a member's tier changes."""

from __future__ import annotations

from huiyuan.core.clock import local_today
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.members.models import Member
from huiyuan.tiers import versions
from huiyuan.tiers.models import Tier, TierChange, TierPolicy


def tier_list() -> list[Tier]:
    """The ladder, lowest first, each tier with its terms in force today."""
    tiers = list(Tier.objects.order_by("level"))
    versions.tiers_terms_apply(tiers, local_today())
    return tiers


def tier_history(*, actor: Actor, member: Member, limit: int = 10) -> list[TierChange]:
    """The member's tier changes, newest first."""
    require(actor, Perm.MEMBER_VIEW)
    return list(
        TierChange.objects.filter(member=member)
        .select_related("from_tier", "to_tier", "operator")
        .order_by("-created_at", "-id")[:limit]
    )


def default_card_type_id() -> int | None:
    """The card type preselected when a card is issued (chosen on the card types page)."""
    return TierPolicy.current().default_card_type_id


def tier_get(*, tier_id: int) -> Tier | None:
    """One tier with its terms in force today (its versions on ``tier.versions``)."""
    tier = Tier.objects.filter(pk=tier_id).first()
    if tier is None:
        return None
    return versions.tier_terms_apply(tier, local_today())
