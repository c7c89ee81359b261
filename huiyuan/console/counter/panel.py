"""The card the counter is looking at: found by number, mobile or member number, and
shown with its member, tier and balances (``CardPanel``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

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


# What a state blocks, by the counter action it blocks (the templates' ``state.blocks.X``):
# sale (any sale on the card), pay_from_card (stored value and points paying), recharge,
# refund, points_adjust, supplement (补积分). The services refuse the same, under the lock.
_C = "counter state"
REASON_MEMBER_INACTIVE = pgettext_lazy(_C, "The member is %(status)s: the card cannot be used.")
REASON_LOST = pgettext_lazy(_C, "The card is reported lost: mark it found or reissue it first.")
REASON_VOID = pgettext_lazy(_C, "The card was reissued: use the new card.")
REASON_CANCELLED = pgettext_lazy(_C, "The card is cancelled.")
REASON_PENDING = pgettext_lazy(_C, "The card is not activated yet.")
REASON_EXPIRED = pgettext_lazy(_C, "The card expired on %(date)s: renew it first.")
REASON_SPEND_FROZEN = pgettext_lazy(_C, "Spending is frozen: stored value and points cannot pay.")
REASON_EARN_FROZEN = pgettext_lazy(_C, "Earning is frozen: no points can be added.")
MEMBER_STATUS_BADGES = {
    Member.Status.CANCELLED: pgettext_lazy(_C, "Member cancelled"),
    Member.Status.TERMINATED: pgettext_lazy(_C, "Member terminated"),
    Member.Status.MERGED: pgettext_lazy(_C, "Member merged"),
}
MEMBER_STATUS_WORDS = {
    Member.Status.CANCELLED: pgettext_lazy(_C, "cancelled"),
    Member.Status.TERMINATED: pgettext_lazy(_C, "terminated"),
    Member.Status.MERGED: pgettext_lazy(_C, "merged into another"),
}
CARD_STATUS_BADGES = {
    Card.Status.ACTIVE: pgettext_lazy(_C, "Normal"),
    Card.Status.LOST: pgettext_lazy(_C, "Reported lost"),
    Card.Status.VOID: pgettext_lazy(_C, "Void (reissued)"),
    Card.Status.CANCELLED: pgettext_lazy(_C, "Card cancelled"),
    Card.Status.PENDING: pgettext_lazy(_C, "Not activated"),
}
FROZEN_BADGES = {  # which side is frozen: earning points, or paying with stored value and points
    (True, True): gettext_lazy("Frozen (earning/spending)"),
    (True, False): gettext_lazy("Frozen (earning)"),
    (False, True): gettext_lazy("Frozen (spending)"),
}


@dataclass(frozen=True)
class CardState:
    """The one status a counter page shows for a card and its member, and what it blocks.

    ``badge`` is the single status word (a lost card of a frozen member is 已挂失; the
    freeze is then a note); ``blocks`` maps an action to the reason it cannot be done;
    ``notes`` are the further states worth a line (a freeze behind a lost card)."""

    badge: str
    color: str
    icon: str
    code: str  # active, frozen, lost, void, cancelled, pending, expired, member_<status>
    blocks: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        return "sale" not in self.blocks


def card_state(card: Card, member: Member | None, *, now: dt.datetime | None = None) -> CardState:
    """What the counter shows before anything is submitted (the services decide again)."""
    now = now or timezone.now()
    blocks: dict[str, str] = {}
    notes: list[str] = []
    status = Card.Status(card.status)
    expired = (
        status == Card.Status.ACTIVE and card.expires_at is not None and card.expires_at <= now
    )
    member_status = Member.Status(member.status) if member is not None else Member.Status.ACTIVE

    def block(reason: str, *actions: str) -> None:
        for action in actions:
            blocks.setdefault(action, reason)

    usage = ("sale", "pay_from_card", "recharge", "supplement")
    if member_status != Member.Status.ACTIVE:
        word = str(MEMBER_STATUS_WORDS.get(member_status, member_status))
        block(str(REASON_MEMBER_INACTIVE) % {"status": word}, *usage)
    if status == Card.Status.LOST:
        block(str(REASON_LOST), *usage)
    elif status == Card.Status.VOID:
        block(str(REASON_VOID), *usage, "refund", "points_adjust")
    elif status == Card.Status.CANCELLED:
        block(str(REASON_CANCELLED), *usage, "points_adjust")
    elif status == Card.Status.PENDING:
        block(str(REASON_PENDING), *usage, "refund", "points_adjust")
    elif expired:
        assert card.expires_at is not None
        day = timezone.localtime(card.expires_at).date().isoformat()
        block(str(REASON_EXPIRED) % {"date": day}, *usage)
    earn, spend = (member.earn_frozen, member.spend_frozen) if member else (False, False)
    if spend:
        block(str(REASON_SPEND_FROZEN), "pay_from_card")
    if earn:
        block(str(REASON_EARN_FROZEN), "supplement")

    if member_status != Member.Status.ACTIVE:
        badge = str(MEMBER_STATUS_BADGES.get(member_status, member_status))
        code, color, icon = f"member_{member_status}", "secondary", "ti-user-off"
    elif status != Card.Status.ACTIVE:
        badge = str(CARD_STATUS_BADGES.get(status, card.get_status_display()))
        code = str(status)
        color = {"lost": "red", "pending": "orange"}.get(code, "secondary")
        icon = {"lost": "ti-lock", "pending": "ti-clock"}.get(code, "ti-credit-card-off")
    elif expired:
        badge, code, color, icon = (
            str(pgettext_lazy(_C, "Expired")),
            "expired",
            "orange",
            "ti-calendar-off",
        )
    elif earn or spend:
        badge, code, color, icon = (
            str(FROZEN_BADGES[(earn, spend)]),
            "frozen",
            "cyan",
            "ti-snowflake",
        )
    else:
        badge, code, color, icon = (
            str(CARD_STATUS_BADGES[Card.Status.ACTIVE]),
            "active",
            "green",
            "",
        )
    if code != "frozen" and (earn or spend):
        notes.append(str(FROZEN_BADGES[(earn, spend)]))
    return CardState(badge, color, icon, code, blocks, tuple(notes))


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
    def state(self) -> CardState:
        """The one status badge and what it blocks (see ``card_state``)."""
        cached: CardState | None = self.__dict__.get("_state")
        if cached is None:
            cached = card_state(self.card, self.member)
            object.__setattr__(self, "_state", cached)
        return cached

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
