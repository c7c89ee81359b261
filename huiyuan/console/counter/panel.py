"""The card the counter is looking at: found by number, mobile or member number, and
shown with its member, tier and balances (``CardPanel``)."""

from __future__ import annotations

from dataclasses import dataclass

from huiyuan.cards import selectors as card_selectors
from huiyuan.cards.models import Card
from huiyuan.cards.selectors import CardBalances
from huiyuan.console.counter.labels import CARD_STATUS_COLORS, HOLDING_LABELS
from huiyuan.core.permissions import Actor
from huiyuan.members import selectors as member_selectors
from huiyuan.members.models import Member
from huiyuan.points.models import PointsPolicy
from huiyuan.selfservice.cardcode import card_code_resolve, looks_like_card_code
from huiyuan.tiers import services as tier_services


def find_card(actor: Actor, text: str) -> CardBalances | None:
    """A card by its number, or the newest usable card of the one member a mobile, member
    number or name finds."""
    text = "".join((text or "").split())[:50]
    if not text:
        return None
    if looks_like_card_code(text):  # the member portal's rotating code (selfservice.cardcode)
        card_id = card_code_resolve(text)
        return card_selectors.card_get(actor=actor, card_id=card_id) if card_id else None
    found = card_selectors.card_get(actor=actor, number=text)
    if found is not None:
        return found
    members = member_selectors.member_lookup(actor=actor, query=text, limit=2)
    exact = [m for m in members if m.code == text]
    if len(exact) == 1:
        members = exact
    if len(members) != 1:
        return None
    cards = card_selectors.member_cards(actor=actor, member=members[0], include_closed=False)
    usable = [c for c in cards if c.card.status == Card.Status.ACTIVE] or cards
    return usable[0] if usable else None


@dataclass(frozen=True)
class CardPanel:
    """What the counter shows about a card: its member (the primary holder), tier, balances
    and, for a shared card, the further holders who share its wallet."""

    balances: CardBalances
    member: Member | None
    tier_name: str
    tier_discount: int
    points_value_fen: int
    holders: tuple[Member, ...] | None = None  # the further holders; None: not looked up
    viewer: Member | None = None

    @property
    def card(self) -> Card:
        return self.balances.card

    @property
    def status_color(self) -> str:
        return CARD_STATUS_COLORS.get(Card.Status(self.card.status), "secondary")

    @property
    def is_shared(self) -> bool:
        """The card's type lets more than one member hold it (family, linked, group)."""
        return self.card.card_type.max_holders > 1

    @property
    def holding_label(self) -> str:
        holding = self.card.card_type.holding
        return str(HOLDING_LABELS.get(holding, holding))

    @property
    def holder_count(self) -> int:
        return (1 if self.member is not None else 0) + len(self.holders or ())

    @property
    def max_holders(self) -> int:
        return self.card.card_type.max_holders

    @property
    def has_room(self) -> bool:
        return self.is_shared and self.holder_count < self.max_holders

    @property
    def viewer_is_secondary(self) -> bool:
        """Shown on the page of a member who shares the card but is not its primary holder."""
        return (
            self.viewer is not None and self.member is not None and self.viewer.pk != self.member.pk
        )


def card_panel(
    balances: CardBalances | None,
    *,
    holders: list[Member] | None = None,
    viewer: Member | None = None,
) -> CardPanel | None:
    if balances is None:
        return None
    member = balances.card.member
    tier = tier_services.current_tier(member) if member is not None else None
    policy = PointsPolicy.current()
    return CardPanel(
        balances=balances,
        member=member,
        tier_name=tier.name if tier else "",
        tier_discount=tier.discount_permille if tier else 1000,
        points_value_fen=balances.points_available * 100 // policy.points_per_yuan,
        holders=tuple(holders) if holders is not None else None,
        viewer=viewer,
    )
