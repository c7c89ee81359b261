"""Reads of tiers: the ladder, lowest first, and a member's tier changes."""

from __future__ import annotations

from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.members.models import Member
from huiyuan.tiers.models import Tier, TierChange


def tier_list() -> list[Tier]:
    return list(Tier.objects.order_by("level"))


def tier_history(*, actor: Actor, member: Member, limit: int = 10) -> list[TierChange]:
    """The member's tier changes, newest first."""
    require(actor, Perm.MEMBER_VIEW)
    return list(
        TierChange.objects.filter(member=member)
        .select_related("from_tier", "to_tier", "operator")
        .order_by("-created_at", "-id")[:limit]
    )
