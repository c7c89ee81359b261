"""What the counter offers when a scan finds no single card: the members a name, initials
or last four digits match (pick one), a member who has no card yet (issue one), or a mobile
nobody has (register a member with it). The one box takes anything; none of these ends in
a bare "not found"."""

from __future__ import annotations

from dataclasses import dataclass, field

from huiyuan.cards import selectors as card_selectors
from huiyuan.cards.models import Card
from huiyuan.core.permissions import Actor, Perm
from huiyuan.members import selectors as member_selectors
from huiyuan.members.models import Member

CHOICES_SHOWN = 8


@dataclass(frozen=True)
class Choice:
    member: Member
    card_number: str  # the card a pick opens; "" when the member has none usable


@dataclass(frozen=True)
class ScanChoices:
    choices: list[Choice] = field(default_factory=list)  # two or more members matched
    without_card: Member | None = None  # the one member found has no usable card
    new_mobile: str = ""  # a mobile nobody has: offer to register it
    can_issue: bool = False
    can_register: bool = False


def _usable_card(actor: Actor, member: Member) -> str:
    cards = card_selectors.member_cards(actor=actor, member=member, include_closed=False)
    usable = [c for c in cards if c.card.status == Card.Status.ACTIVE] or cards
    return usable[0].card.number if usable else ""


def scan_choices(actor: Actor, text: str) -> ScanChoices | None:
    """What to offer for ``text`` that found no card; None when there is nothing to offer."""
    query = member_selectors.search_text(text)
    if not query or not actor.has(Perm.MEMBER_VIEW):
        return None
    members = member_selectors.member_lookup(actor=actor, query=query, limit=CHOICES_SHOWN)
    can_issue = actor.has(Perm.CARD_ISSUE)
    if len(members) >= 2:
        return ScanChoices(choices=[Choice(m, _usable_card(actor, m)) for m in members])
    if len(members) == 1:
        if _usable_card(actor, members[0]):
            return None  # found after all (a card the scan box did not resolve): no offer
        return ScanChoices(without_card=members[0], can_issue=can_issue)
    if len(query) == 11 and query.isdigit() and query.startswith("1"):
        return ScanChoices(new_mobile=query, can_register=actor.has(Perm.MEMBER_CREATE))
    return None
