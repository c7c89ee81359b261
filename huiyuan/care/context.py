"""The template variables of members: name, balance, points, tier, store."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Q
from django.utils import timezone

from huiyuan.cards.models import Card, CardHolder
from huiyuan.cards.selectors import _balances_for
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.members.models import Member
from huiyuan.tiers.models import MemberTier


def members_context(members: Iterable[Member]) -> dict[int, dict[str, Any]]:
    """What a template may say about each member (balances over their open cards, held or
    shared), for many members in a fixed number of queries; keyed by member id.
    ``home_store`` should be selected with the members."""
    members = list(members)
    ids = [m.pk for m in members]
    if not ids:
        return {}
    open_cards = Q(status__in=[Card.Status.ACTIVE, Card.Status.LOST])
    cards = {
        c.pk: c
        for c in Card.objects.filter(open_cards).filter(
            Q(member_id__in=ids) | Q(holders__member_id__in=ids)
        )
    }
    cards_of: dict[int, set[int]] = defaultdict(set)
    for card in cards.values():
        if card.member_id is not None:
            cards_of[card.member_id].add(card.pk)
    for card_id, member_id in CardHolder.objects.filter(
        member_id__in=ids, card_id__in=list(cards)
    ).values_list("card_id", "member_id"):
        cards_of[member_id].add(card_id)
    balances = {b.card.pk: b for b in _balances_for(list(cards.values()), timezone.now())}
    tiers = dict(
        MemberTier.objects.filter(member_id__in=ids).values_list("member_id", "tier__name")
    )
    result: dict[int, dict[str, Any]] = {}
    for member in members:
        mine = [balances[c] for c in cards_of.get(member.pk, ()) if c in balances]
        result[member.pk] = {
            "name": member.name,
            "balance": fen_to_yuan_str(sum(b.stored_value for b in mine)),
            "points": sum(b.points_available for b in mine),
            "tier": tiers.get(member.pk, "") or "",
            "store": member.home_store.name if member.home_store_id else "",
        }
    return result


def member_context(member: Member) -> dict[str, Any]:
    """What a template may say about ``member`` (balances over their open cards)."""
    return members_context([member])[member.pk]
