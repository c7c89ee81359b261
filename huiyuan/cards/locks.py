"""The one lock path for everything a card owns (ADR 0002).

Order, everywhere: the member row → the card row → the card's ledger accounts by id → the
member's tier state. On PostgreSQL the locks are ``FOR NO KEY UPDATE`` of the named rows
only (never the joined card type or store), so inserts that merely reference those rows
(a sale, an entry) do not block on them.

Everything a decision depends on — card status and expiry, member status and freezes,
balances and lots — is read from the locked rows and decided after the lock: a status read
before the lock is a status that can change. Use it inside ``atomic_retry`` (or a service
already in one); it refuses to run outside a transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from huiyuan.cards.models import Card
from huiyuan.core.errors import NotFound
from huiyuan.core.retry import RetryTransaction
from huiyuan.ledger.models import Account
from huiyuan.members.models import Member
from huiyuan.tiers.models import MemberTier


@dataclass
class CardLock:
    """The locked rows of one card: use these objects, never copies read before the lock."""

    card: Card
    member: Member | None
    accounts: dict[str, Account]  # kind → the locked account
    tier_state: MemberTier | None = None

    @property
    def principal(self) -> Account:
        return self.accounts[Account.Kind.PRINCIPAL]

    @property
    def bonus(self) -> Account:
        return self.accounts[Account.Kind.BONUS]

    @property
    def points(self) -> Account:
        return self.accounts[Account.Kind.POINTS]


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("locks are taken inside a transaction")


def member_lock(member_id: int) -> Member | None:
    """Lock one member row (the first step of the lock order)."""
    _require_transaction()
    return Member.objects.select_for_update(no_key=True).filter(pk=member_id).first()


def members_lock(member_ids: list[int]) -> dict[int, Member]:
    """Lock several member rows in id order (a merge locks survivor and duplicate)."""
    _require_transaction()
    rows = (
        Member.objects.select_for_update(no_key=True)
        .filter(pk__in=sorted(set(member_ids)))
        .order_by("pk")
    )
    return {m.pk: m for m in rows}


def _member_touch_locked(card_id: int, at: dt.datetime) -> Member | None:
    """Lock the card's member by recording its activity: one UPDATE … RETURNING statement."""
    table, cards = Member._meta.db_table, Card._meta.db_table
    rows = list(
        Member.objects.raw(
            f'UPDATE "{table}" SET "last_activity_at" = %s '  # noqa: S608 - table names only
            f'WHERE "id" = (SELECT "member_id" FROM "{cards}" WHERE "id" = %s) RETURNING *',
            [at, card_id],
        )
    )
    return rows[0] if rows else None


def card_lock(card_id: int, *, tier: bool = False, touch: dt.datetime | None = None) -> CardLock:
    """Lock a card's member, the card, its accounts (and the tier state) in the fixed order.

    The member is found through the card without locking the card first; if the card
    changed hands meanwhile (a merge moved it), the transaction is retried. With ``touch``
    the member's last activity is set to that moment by the statement that locks it.
    """
    _require_transaction()
    if touch is not None:
        member = _member_touch_locked(card_id, touch)
    else:
        member = (
            Member.objects.select_for_update(no_key=True, of=("self",))
            .filter(cards__pk=card_id)
            .first()
        )
    card = (
        Card.objects.select_for_update(no_key=True, of=("self",))
        .select_related("card_type")
        .filter(pk=card_id)
        .first()
    )
    if card is None:
        raise NotFound(_("Card not found."), code="card_not_found")
    if card.member_id != (member.pk if member else None):
        raise RetryTransaction()  # the card moved to another member between the two locks
    if member is not None:
        card.member = member
    accounts = {
        a.kind: a
        for a in Account.objects.select_for_update(no_key=True)
        .filter(card_id=card.pk)
        .order_by("pk")
    }
    tier_state = None
    if tier and member is not None:
        tier_state = (
            MemberTier.objects.select_for_update(no_key=True, of=("self",))
            .select_related("tier")
            .filter(member_id=member.pk)
            .first()
        )
    return CardLock(card=card, member=member, accounts=accounts, tier_state=tier_state)
