"""The template variables of a member: name, balance, points, tier, store."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from huiyuan.cards.models import Card
from huiyuan.cards.selectors import _balances_for
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.members.models import Member
from huiyuan.tiers.models import MemberTier


def member_context(member: Member) -> dict[str, Any]:
    """What a template may say about ``member`` (balances over their open cards)."""
    cards = list(
        Card.objects.filter(Q(member=member) | Q(holders__member=member))
        .filter(status__in=[Card.Status.ACTIVE, Card.Status.LOST])
        .distinct()
    )
    balances = _balances_for(cards, timezone.now()) if cards else []
    state = MemberTier.objects.filter(member=member).select_related("tier").first()
    tier = state.tier.name if state is not None else ""
    return {
        "name": member.name,
        "balance": fen_to_yuan_str(sum(b.stored_value for b in balances)),
        "points": sum(b.points_available for b in balances),
        "tier": tier,
        "store": member.home_store.name if member.home_store_id else "",
    }
