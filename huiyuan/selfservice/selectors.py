"""Reads a member makes about themselves, each checked against the member actor.

Every function takes a :class:`MemberActor`; anything that is not the member's own is
``NotFound`` (see ``huiyuan.selfservice.actor``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from huiyuan.cards.models import Card
from huiyuan.cards.selectors import CardBalances, card_balances
from huiyuan.core.clock import local_today
from huiyuan.core.errors import NotFound
from huiyuan.coupons.models import Coupon
from huiyuan.gifts.models import Gift
from huiyuan.gifts.selectors import gifts_on_offer
from huiyuan.ledger.models import Account, Entry, Lot
from huiyuan.members.models import Member
from huiyuan.packages.models import MemberPackage
from huiyuan.selfservice.actor import MemberActor, own_object
from huiyuan.selfservice.models import DocumentVersion, MarketingConsent
from huiyuan.tiers.models import MemberTier, Tier
from huiyuan.tiers.services import window_values

VISIBLE_CARD_STATUSES = (Card.Status.ACTIVE, Card.Status.LOST)


def marketing_allowed(member_id: int) -> bool:
    """May marketing messages go to this member? False once they withdrew consent (PIPL),
    and for members that are not active (cancelled, terminated, merged, anonymised)."""
    if not Member.objects.filter(pk=member_id, status=Member.Status.ACTIVE).exists():
        return False
    row = MarketingConsent.objects.filter(member_id=member_id).first()
    return True if row is None else row.allowed


def me(actor: MemberActor) -> Member:
    member = Member.objects.filter(pk=actor.member_id).select_related("home_store").first()
    if member is None:
        raise NotFound("member", code="not_found")
    return member


def _my_cards_qs(actor: MemberActor) -> QuerySet[Card]:
    return (
        Card.objects.filter(Q(member_id=actor.member_id) | Q(holders__member_id=actor.member_id))
        .filter(status__in=VISIBLE_CARD_STATUSES)
        .select_related("card_type", "store", "member")
        .distinct()
        .order_by("-issued_at", "-id")
    )


def my_cards(actor: MemberActor) -> list[CardBalances]:
    """The member's usable cards (held or shared), newest first, with balances."""
    return [card_balances(card) for card in _my_cards_qs(actor)]


def my_card(actor: MemberActor, card_id: int) -> CardBalances:
    """One of the member's own cards with its balances; anyone else's is NotFound."""
    card = _my_cards_qs(actor).filter(pk=card_id).first()
    if card is None:
        raise NotFound("card", code="not_found")
    return card_balances(card)


def my_card_entries(
    actor: MemberActor, card_id: int, *, kind: str = "", limit: int = 50, offset: int = 0
) -> tuple[int, list[Entry]]:
    """(count, a page of) the card's ledger entries, newest first, with the balance after."""
    card = my_card(actor, card_id).card
    qs = Entry.objects.filter(account__card_id=card.pk, account__kind__in=Account.MEMBER_KINDS)
    if kind:
        qs = qs.filter(account__kind=kind)
    page = qs.select_related("account", "transfer", "transfer__operation").order_by("-id")
    return qs.count(), list(page[offset : offset + limit])


def my_points_lots(actor: MemberActor, card_id: int) -> list[Lot]:
    """The card's live points lots, soonest expiry first (what expires when)."""
    card = my_card(actor, card_id).card
    now = timezone.now()
    return list(
        Lot.objects.filter(
            account__card_id=card.pk, account__kind=Account.Kind.POINTS, remaining__gt=0
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("expires_at", "pk")
    )


def current_version(kind: str) -> DocumentVersion | None:
    """The newest published version of the charter or privacy notice."""
    return (
        DocumentVersion.objects.filter(document__kind=kind, published_at__lte=timezone.now())
        .order_by("-version")
        .first()
    )


@dataclass(frozen=True)
class TierProgress:
    """Where the member stands: the tier held, the next one and what keeps the current."""

    tier: Tier | None
    next_tier: Tier | None
    basis: str  # the current tier's basis (spend in fen, growth, points)
    value: int  # the member's value on the current tier's basis over its window
    next_value: int  # the value on the next tier's basis over its window
    to_next: int  # what is missing for the next tier (0: reached, waiting for evaluation)
    retention: int
    to_keep: int  # what is missing to keep the current tier at the period end
    window_days: int
    protected_until: dt.date | None

    @property
    def percent(self) -> int:
        if self.next_tier is None or self.next_tier.threshold <= 0:
            return 100
        return min(100, self.next_value * 100 // self.next_tier.threshold)


def my_tier(actor: MemberActor) -> TierProgress:
    """The member's tier, the progress to the next and what it takes to keep it."""
    state = MemberTier.objects.select_related("tier").filter(member_id=actor.member_id).first()
    tiers = list(Tier.objects.order_by("level"))
    tier = state.tier if state is not None else (tiers[0] if tiers else None)
    if tier is None:
        return TierProgress(None, None, "", 0, 0, 0, 0, 0, 0, None)
    higher = [t for t in tiers if t.level > tier.level]
    next_tier = higher[0] if higher else None
    values = window_values(actor.member_id, [t for t in (tier, next_tier) if t], timezone.now())
    value = values[tier.pk]
    next_value = values[next_tier.pk] if next_tier else 0
    return TierProgress(
        tier=tier,
        next_tier=next_tier,
        basis=tier.basis,
        value=value,
        next_value=next_value,
        to_next=max(0, next_tier.threshold - next_value) if next_tier else 0,
        retention=tier.retention,
        to_keep=max(0, tier.retention - value),
        window_days=tier.window_days,
        protected_until=state.protected_until if state is not None else None,
    )


def my_coupons(actor: MemberActor) -> dict[str, list[Coupon]]:
    """The member's coupons: usable (unused, not past validity), used, expired."""
    today = local_today()
    rows = list(
        Coupon.objects.filter(member_id=actor.member_id)
        .exclude(status=Coupon.Status.VOID)
        .select_related("template")
        .order_by("valid_to", "-pk")
    )
    usable = [
        c
        for c in rows
        if c.status == Coupon.Status.UNUSED and not (c.valid_to and c.valid_to < today)
    ]
    expired = [
        c for c in rows if c.status == Coupon.Status.UNUSED and c.valid_to and c.valid_to < today
    ]
    used = [c for c in rows if c.status == Coupon.Status.USED]
    return {"usable": usable, "used": used[:20], "expired": expired[:20]}


def my_coupon(actor: MemberActor, coupon_id: int) -> Coupon:
    coupon = Coupon.objects.select_related("template").filter(pk=coupon_id).first()
    return own_object(actor, coupon)


def my_packages(actor: MemberActor) -> list[MemberPackage]:
    """The member's count, period and course cards, the active ones first."""
    rows = (
        MemberPackage.objects.filter(member_id=actor.member_id)
        .select_related("plan", "store")
        .prefetch_related("items")
    )
    return sorted(rows, key=lambda p: (p.status != MemberPackage.Status.ACTIVE, -p.pk))


def gifts_for_me(actor: MemberActor) -> tuple[int, list[Gift]]:
    """(the member's usable points over all cards, the gifts on offer, cheapest first)."""
    points = sum(c.points_available for c in my_cards(actor))
    gifts = list(gifts_on_offer().filter(stock__gt=0).order_by("points_price", "code")[:100])
    return points, gifts
