"""Reads of cards and their money: balances, lots and history for counters and the member page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from huiyuan.cards.models import Card, CardHolder, CardType
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.ledger.models import Account, Entry, Lot
from huiyuan.members.models import Member
from huiyuan.members.selectors import member_mask


@dataclass(frozen=True)
class CardBalances:
    card: Card
    principal: int
    bonus: int
    points: int
    bonus_available: int
    points_available: int

    @property
    def stored_value(self) -> int:
        return self.principal + self.bonus


def _balances_for(cards: list[Card], now: dt.datetime) -> list[CardBalances]:
    ids = [c.pk for c in cards]
    accounts = {(a.card_id, a.kind): a for a in Account.objects.filter(card_id__in=ids)}
    # What expired lots still hold until the sweep takes it: summed per card and kind.
    expired = {
        (row["account__card_id"], row["account__kind"]): row["held"]
        for row in Lot.objects.filter(
            account__card_id__in=ids, remaining__gt=0, expires_at__lte=now
        )
        .values("account__card_id", "account__kind")
        .annotate(held=Sum("remaining"))
    }
    result = []
    for card in cards:

        def bal(kind: str, card_id: int = card.pk) -> int:
            account = accounts.get((card_id, kind))
            return account.balance if account else 0

        result.append(
            CardBalances(
                card=card,
                principal=bal(Account.Kind.PRINCIPAL),
                bonus=bal(Account.Kind.BONUS),
                points=bal(Account.Kind.POINTS),
                bonus_available=bal(Account.Kind.BONUS)
                - expired.get((card.pk, Account.Kind.BONUS), 0),
                points_available=bal(Account.Kind.POINTS)
                - expired.get((card.pk, Account.Kind.POINTS), 0),
            )
        )
    return result


def member_cards(
    *, actor: Actor, member: Member, include_closed: bool = True
) -> list[CardBalances]:
    """The member's cards (held or shared), newest first, each with its balances."""
    require(actor, Perm.MEMBER_VIEW)
    qs = (
        Card.objects.filter(Q(member=member) | Q(holders__member=member))
        .select_related("card_type", "store", "member", "replaced_by")
        .distinct()
        .order_by("-issued_at", "-id")
    )
    if not include_closed:
        qs = qs.filter(status__in=[Card.Status.ACTIVE, Card.Status.LOST])
    return _balances_for(list(qs), timezone.now())


def card_holders(*, actor: Actor, cards: Sequence[Card]) -> dict[int, list[Member]]:
    """The further holders of each shared card (a type allowing more than one), first added
    first; one query for all the cards."""
    require(actor, Perm.MEMBER_VIEW)
    shared: dict[int, list[Member]] = {c.pk: [] for c in cards if c.card_type.max_holders > 1}
    if shared:
        rows = (
            CardHolder.objects.filter(card_id__in=list(shared))
            .select_related("member")
            .order_by("added_at", "pk")
        )
        for row in rows:
            shared[row.card_id].append(row.member)
    return shared


def card_get(*, actor: Actor, card_id: int | None = None, number: str = "") -> CardBalances | None:
    """One card by id or number, with its balances (None when it does not exist)."""
    require(actor, Perm.MEMBER_VIEW)
    qs = Card.objects.select_related("card_type", "store", "member", "replaced_by")
    card = (
        qs.filter(pk=card_id).first()
        if card_id is not None
        else qs.filter(number=number.strip()).first()
    )
    if card is None:
        return None
    if card.member is not None:
        member_mask(actor, [card.member])  # another store's member: masked (通存通兑)
    return _balances_for([card], timezone.now())[0]


def card_lots(*, actor: Actor, card: Card) -> list[Lot]:
    """The card's bonus and points lots, live ones first by expiry."""
    require(actor, Perm.MEMBER_VIEW)
    return list(
        Lot.objects.filter(account__card_id=card.pk)
        .select_related("account")
        .order_by("-remaining", "expires_at", "pk")
    )


def card_entries(*, actor: Actor, card: Card, limit: int = 200) -> list[Entry]:
    """The card's ledger entries, newest first, each with the balance after it."""
    require(actor, Perm.MEMBER_VIEW)
    return list(
        Entry.objects.filter(account__card_id=card.pk)
        .select_related(
            "account", "transfer", "transfer__operation", "transfer__operation__operator"
        )
        .order_by("-id")[:limit]
    )


def card_types(*, active_only: bool = True) -> QuerySet[CardType]:
    qs = CardType.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def member_entries(*, actor: Actor, member: Member) -> QuerySet[Entry]:
    """Ledger entries of every card the member holds or shares, newest first (for paging)."""
    require(actor, Perm.MEMBER_VIEW)
    card_ids = Card.objects.filter(Q(member=member) | Q(holders__member=member)).values("pk")
    return (
        Entry.objects.filter(account__card_id__in=card_ids)
        .select_related(
            "account", "transfer", "transfer__operation", "transfer__operation__operator"
        )
        .order_by("-id")
    )


def card_balances(card: Card) -> CardBalances:
    """``card`` re-read with its balances now (after a write the caller was allowed to make)."""
    fresh = Card.objects.select_related("card_type", "store", "member", "replaced_by").get(
        pk=card.pk
    )
    return _balances_for([fresh], timezone.now())[0]


def card_entries_page(
    *, actor: Actor, card: Card, limit: int = 50, offset: int = 0
) -> tuple[int, list[Entry]]:
    """(count, one page of the card's ledger entries, newest first)."""
    require(actor, Perm.MEMBER_VIEW)
    qs = Entry.objects.filter(account__card_id=card.pk)
    page = qs.select_related(
        "account",
        "transfer",
        "transfer__operation",
        "transfer__operation__operator",
    ).order_by("-id")[offset : offset + limit]
    return qs.count(), list(page)


def card_balances_after(*, card_id: int, operation_id: int) -> dict[str, int]:
    """The card's principal, bonus and points as they stood right after ``operation_id``.

    Entries of one account are written under its lock in operation order, so the last entry
    at or before the operation carries the balance then; an untouched account keeps it.
    """
    result: dict[str, int] = {str(kind): 0 for kind in Account.MEMBER_KINDS}
    for account in Account.objects.filter(card_id=card_id, member_side=True):
        entry = (
            Entry.objects.filter(account=account, transfer__operation_id__lte=operation_id)
            .order_by("-id")
            .only("balance_after")
            .first()
        )
        result[account.kind] = (entry.balance_after or 0) if entry else 0
    return result
