"""What the gift services share: the gift row's lock, stock changes, the member checks.

Lock order (every gift service): the card's locks first (``cards.locks.card_lock``: member →
card → card accounts; or the member row alone when no card is involved), then a lottery's
prize rows by id, then gift rows by id, then a redemption row. Stock is decided on the
locked gift row only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _

from huiyuan.cards.locks import CardLock
from huiyuan.cards.services import card_require_usable
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor
from huiyuan.core.retry import atomic_retry
from huiyuan.gifts.models import Gift, GiftMovement, Redemption
from huiyuan.ledger.commands import R, command_run
from huiyuan.members.models import Member
from huiyuan.stores.scope import ScopeOp, scope_require

MAX_STOCK = 10_000_000
MAX_QUANTITY = 100


def _for_update(qs):  # type: ignore[no-untyped-def]
    """``FOR NO KEY UPDATE OF`` the table's own rows on PostgreSQL; a plain lock elsewhere."""
    if connection.vendor == "postgresql":
        return qs.select_for_update(no_key=True, of=("self",))
    return qs.select_for_update()


def gift_locked(gift_id: int) -> Gift:
    """Lock one gift row (its stock is decided on this object only)."""
    gift = _for_update(Gift.objects.filter(pk=gift_id)).first()
    if gift is None:
        raise NotFound(_("Gift not found."), code="gift_not_found")
    return gift


def redemption_locked(redemption_id: int) -> Redemption:
    row = _for_update(Redemption.objects.filter(pk=redemption_id)).first()
    if row is None:
        raise NotFound(_("Redemption not found."), code="redemption_not_found")
    return row


def stock_change(
    *,
    gift: Gift,
    kind: str,
    delta: int,
    actor: Actor,
    now: dt.datetime,
    reason: str = "",
    redemption: Redemption | None = None,
    store_id: int | None = None,
) -> GiftMovement:
    """Change the locked gift's stock by ``delta`` and record the movement (stock after)."""
    if gift.stock + delta < 0:
        raise Conflict(
            _("Not enough of this gift in stock."),
            code="gift_out_of_stock",
            details={"stock": gift.stock, "wanted": -delta},
        )
    if gift.stock + delta > MAX_STOCK:
        raise ValidationFailed(_("The stock would be too large."), code="stock_too_large")
    gift.stock += delta
    gift.updated_at = now
    Gift.objects.filter(pk=gift.pk).update(stock=gift.stock, updated_at=now)
    return GiftMovement.objects.create(
        gift=gift,
        kind=kind,
        delta=delta,
        stock_after=gift.stock,
        store_id=store_id if store_id is not None else actor.store_id,
        operator=actor.staff,
        redemption=redemption,
        reason=reason[:200],
        created_at=now,
    )


def member_may_spend_points(actor: Actor, lock: CardLock, now: dt.datetime) -> Member:
    """Refuse a card or member that may not spend points, decided on the locked rows."""
    scope_require(actor, ScopeOp.SPEND, home_store_id=lock.card.store_id)
    card_require_usable(lock.card, now=now)
    member = lock.member
    if member is None:
        raise Conflict(
            _("This card has no member: gifts go to members only."), code="member_required"
        )
    if member.status != Member.Status.ACTIVE:
        raise Conflict(_("The member is not active."), code="member_not_active")
    if member.spend_frozen:
        raise Conflict(_("Spending is frozen for this member."), code="member_spend_frozen")
    return member


def points_store_id(actor: Actor, lock: CardLock) -> int:
    """The store whose points accounts a redemption or a draw books at: where it happens,
    else (head office) the card's home store."""
    return actor.store_id if actor.store_id is not None else lock.card.store_id


def run_write(
    *,
    actor: Actor,
    key: str | None,
    kind: str,
    payload: dict[str, Any],
    perform: Callable[[], R],
    load: Callable[[int], R],
) -> R:
    """A write that is idempotent by nature (an edit, a status): with a key it goes through
    ``command_run`` (a replay returns the first result, another request under the same key
    is refused); without one it simply runs in a retried transaction."""
    if key is None:
        return atomic_retry(perform)
    return command_run(actor=actor, key=key, kind=kind, payload=payload, perform=perform, load=load)
