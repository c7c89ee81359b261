"""Collaborators of a sale: apps that take part in its transaction.

Stock (a sale moves goods out), count cards (a sale of a 10-swim card opens the card),
commission (the sales associate earns), coupons (a coupon is used) must change in the SAME
transaction as the sale, and may refuse it (not enough stock under a "refuse" policy): they
cannot wait for the domain events, which are dispatched after commit. Checkout must not
import them either (it sits below them), so they register here, from their AppConfig.ready:

    from huiyuan.checkout import hooks
    hooks.register(StockParticipant())

Each callback runs inside the sale's transaction, after the sale, its lines and the ledger
operation are written and while the card's lock is held; raising a ``DomainError`` refuses
the whole sale (nothing is written). Participants run in registration order
(INSTALLED_APPS order). ``quote_notes`` runs for a quote and a sale alike, with nothing
written: a participant adds warnings the cashier should see ("库存不足") or refuses early.

Events (``sale.completed`` …) remain the way for what may happen later (messages, webhooks,
analytics): use a hook only for what must be true in the same transaction as the sale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from huiyuan import pricing
    from huiyuan.cards.locks import CardLock
    from huiyuan.checkout.models import Sale, SaleLine, SaleReturn, SaleReturnLine
    from huiyuan.core.permissions import Actor


@dataclass(frozen=True)
class SaleDone:
    """A sale just written: its lines carry their ids."""

    actor: Actor
    sale: Sale
    lines: Sequence[SaleLine]
    lock: CardLock | None  # held; None for a walk-in sale
    now: dt.datetime
    pin: str = ""  # the payment PIN the sale carried (never stored)


@dataclass(frozen=True)
class SaleRefused:
    """A sale refused (nothing of it written): after the rollback, outside its transaction,
    a participant may record what must outlive the refusal (a wrong PIN counted)."""

    actor: Actor
    card_id: int | None
    error: Exception


@dataclass(frozen=True)
class ReturnDone:
    """A return just written: ``lines`` pairs each sale line with what was returned of it."""

    actor: Actor
    sale: Sale
    sale_return: SaleReturn
    lines: Sequence[tuple[SaleLine, SaleReturnLine]]
    lock: CardLock | None
    now: dt.datetime


@dataclass(frozen=True)
class ReversalDone:
    """A whole sale undone (冲正): every line as sold."""

    actor: Actor
    sale: Sale
    lines: Sequence[SaleLine]
    lock: CardLock | None
    now: dt.datetime


@dataclass(frozen=True)
class QuoteContext:
    """A basket being priced (for a quote or at completion), nothing written yet."""

    store_id: int
    lines: Sequence[pricing.PricedLine]
    member_id: int | None
    card_id: int | None
    now: dt.datetime
    completing: bool  # True inside ``sale_complete``, False for a quote


@dataclass(frozen=True)
class Note:
    """A participant's word on a basket: ``code`` is stable, ``params`` feed the message."""

    code: str
    message: str
    line_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)


class SaleParticipant(Protocol):
    name: str

    def quote_notes(self, context: QuoteContext) -> Sequence[Note]: ...

    def sale_completed(self, done: SaleDone) -> None: ...

    def sale_returned(self, done: ReturnDone) -> None: ...

    def sale_reversed(self, done: ReversalDone) -> None: ...

    def sale_refused(self, refused: SaleRefused) -> None: ...


class Participant:
    """A base that does nothing: subclass and override what you take part in."""

    name = ""

    def quote_notes(self, context: QuoteContext) -> Sequence[Note]:
        return ()

    def sale_completed(self, done: SaleDone) -> None:
        return None

    def sale_returned(self, done: ReturnDone) -> None:
        return None

    def sale_reversed(self, done: ReversalDone) -> None:
        return None

    def sale_refused(self, refused: SaleRefused) -> None:
        return None


_PARTICIPANTS: list[SaleParticipant] = []


def register(participant: SaleParticipant) -> None:
    """Add a participant once (by name): AppConfig.ready may run more than once in tests."""
    if not participant.name:
        raise ValueError("A sale participant needs a name.")
    for position, existing in enumerate(_PARTICIPANTS):
        if existing.name == participant.name:
            _PARTICIPANTS[position] = participant
            return
    _PARTICIPANTS.append(participant)


def participants() -> tuple[SaleParticipant, ...]:
    return tuple(_PARTICIPANTS)


def quote_notes(context: QuoteContext) -> list[Note]:
    return [note for p in _PARTICIPANTS for note in p.quote_notes(context)]


def sale_completed(done: SaleDone) -> None:
    for participant in _PARTICIPANTS:
        participant.sale_completed(done)


def sale_returned(done: ReturnDone) -> None:
    for participant in _PARTICIPANTS:
        participant.sale_returned(done)


def sale_reversed(done: ReversalDone) -> None:
    for participant in _PARTICIPANTS:
        participant.sale_reversed(done)


def sale_refused(refused: SaleRefused) -> None:
    for participant in _PARTICIPANTS:
        participant.sale_refused(refused)


# ------------------------------------------------------------------- coupon source
#
# Coupons are a pricing input, not a participant after the fact: the sale must know them
# before it calls the engine. Checkout never imports the coupons app; the coupons app
# registers one source here (AppConfig.ready), and the sale asks it for the terms of the
# codes the cashier chose — under row locks while completing — and, for a quote, for the
# coupons the member holds. Marking them used is the same app's ``sale_completed``.


class CouponSource(Protocol):
    def coupons_held(self, *, member_id: int, now: dt.datetime) -> Sequence[pricing.CouponTerms]:
        """The member's unused coupons that are not past their validity (no locks)."""
        ...

    def coupons_by_code(
        self, *, codes: Sequence[str], member_id: int | None, now: dt.datetime, lock: bool
    ) -> Sequence[pricing.CouponTerms]:
        """The terms of these codes (locked FOR UPDATE when ``lock``); raises a
        ``DomainError`` for an unknown, used, expired or another member's coupon."""
        ...


_COUPON_SOURCE: list[CouponSource] = []


def register_coupon_source(source: CouponSource) -> None:
    """Set the one coupon source (again: replaces it)."""
    _COUPON_SOURCE[:] = [source]


def coupon_source() -> CouponSource | None:
    return _COUPON_SOURCE[0] if _COUPON_SOURCE else None


# ------------------------------------------------------------------ benefit source
#
# A paid benefit card (权益卡) is a pricing input like the tier: the benefits app registers
# one source here (AppConfig.ready) and the member's snapshot asks it for the card in force
# (its extra rates, member prices and points multiplier, as ``pricing.BenefitTerms``).
# Checkout never imports benefits.


class BenefitSource(Protocol):
    def benefit_for(self, *, member_id: int, now: dt.datetime) -> pricing.BenefitTerms | None:
        """The member's active benefit card valid on ``now``'s local date (no locks)."""
        ...


_BENEFIT_SOURCE: list[BenefitSource] = []


def register_benefit_source(source: BenefitSource) -> None:
    """Set the one benefit source (again: replaces it)."""
    _BENEFIT_SOURCE[:] = [source]


def benefit_for(member_id: int | None, now: dt.datetime) -> pricing.BenefitTerms | None:
    if member_id is None or not _BENEFIT_SOURCE:
        return None
    return _BENEFIT_SOURCE[0].benefit_for(member_id=member_id, now=now)


# ---------------------------------------------------------------- points-day source
#
# A double-points day (积分翻倍日) is a marketing activity's data applied by the earn engine:
# the activities app registers one source here (AppConfig.ready); ``earn_points`` asks it
# for the multiplier in force at the sale's store and moment. Checkout never imports it.


@dataclass(frozen=True)
class PointsBoost:
    label: str
    multiplier_pct: int


class PointsBoostSource(Protocol):
    def boost_for(self, *, store_id: int, now: dt.datetime) -> PointsBoost | None:
        """The double-points day in force at this store and moment (no locks)."""
        ...


_BOOST_SOURCE: list[PointsBoostSource] = []


def register_points_boost_source(source: PointsBoostSource) -> None:
    """Set the one points-day source (again: replaces it)."""
    _BOOST_SOURCE[:] = [source]


def points_boost_for(store_id: int, now: dt.datetime) -> PointsBoost | None:
    if not _BOOST_SOURCE:
        return None
    return _BOOST_SOURCE[0].boost_for(store_id=store_id, now=now)
