"""Pending points (P1, 待生效积分): points earned on a sale wait out the return window.

With ``PointsPolicy.pending_days`` = N, the earn lot of a sale on local day D carries
``matures_at`` = the local midnight that ends day D + N. Until then the lot counts in the
points balance but not in what can be spent (``ledger.spendable_lots_of`` leaves it out), so
a return within the window takes the points back from the pending lot and never touches
spendable points. Spendability follows ``matures_at`` alone: nothing has to run for the
points to become usable on time.

``points_mature_due`` is the daily bookkeeping: under each card's lock it marks the lots
that matured (``matured_at``, once per lot) and announces ``points.matured`` with how many
points became spendable — running it twice marks nothing twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Min, Q, Sum
from django.utils import timezone

from huiyuan.audit.services import audit_record
from huiyuan.cards.locks import card_lock
from huiyuan.core.clock import local_date, local_day_bounds
from huiyuan.core.permissions import Actor
from huiyuan.events.services import event_emit
from huiyuan.ledger.models import Account, Lot
from huiyuan.points.models import PointsPolicy


def points_matures_at(earned_at: dt.datetime, policy: PointsPolicy) -> dt.datetime | None:
    """When points earned at ``earned_at`` become spendable (None: at once)."""
    days = policy.pending_days or 0
    if days <= 0:
        return None
    return local_day_bounds(local_date(earned_at) + dt.timedelta(days=days))[1]


@dataclass(frozen=True)
class PendingPoints:
    points: int
    next_matures_at: dt.datetime | None


def pending_points(card_id: int, now: dt.datetime | None = None) -> PendingPoints:
    """A card's points that are earned but not spendable yet, and when the next ones mature."""
    now = now or timezone.now()
    row = Lot.objects.filter(
        account__card_id=card_id,
        account__kind=Account.Kind.POINTS,
        remaining__gt=0,
        matures_at__gt=now,
    ).aggregate(points=Sum("remaining"), first=Min("matures_at"))
    return PendingPoints(points=row["points"] or 0, next_matures_at=row["first"])


def pending_lots(card_id: int, now: dt.datetime | None = None) -> list[Lot]:
    """The card's pending points lots, soonest first (for the member page and the API)."""
    now = now or timezone.now()
    return list(
        Lot.objects.filter(
            account__card_id=card_id,
            account__kind=Account.Kind.POINTS,
            remaining__gt=0,
            matures_at__gt=now,
        ).order_by("matures_at", "pk")
    )


def points_pending_total(store_ids: frozenset[int] | None, now: dt.datetime) -> int:
    """Pending points chain-wide or of the cards of ``store_ids`` (liability reports)."""
    lots = Lot.objects.filter(
        account__kind=Account.Kind.POINTS, remaining__gt=0, matures_at__gt=now
    )
    if store_ids is not None:
        lots = lots.filter(account__card_id__in=_cards_of(store_ids))
    return lots.aggregate(total=Sum("remaining"))["total"] or 0


def _cards_of(store_ids: frozenset[int]) -> object:
    from huiyuan.cards.models import Card

    return Card.objects.filter(store_id__in=store_ids).values("pk")


def points_mature_due(*, actor: Actor, now: dt.datetime | None = None) -> int:
    """Mark every lot whose window has passed as matured, once, card by card under the
    card's lock, and announce it. Returns the number of lots marked."""
    now = now or timezone.now()
    due = Q(matured_at__isnull=True, matures_at__isnull=False, matures_at__lte=now)
    card_ids = list(
        Lot.objects.filter(due, account__kind=Account.Kind.POINTS)
        .values_list("account__card_id", flat=True)
        .distinct()
    )
    marked = 0
    for card_id in card_ids:
        if card_id is None:
            continue
        with transaction.atomic():
            lock = card_lock(card_id)
            lots = list(Lot.objects.filter(due, account_id=lock.points.pk).order_by("pk"))
            if not lots:
                continue  # another run marked them meanwhile
            Lot.objects.filter(pk__in=[lot.pk for lot in lots]).update(matured_at=now)
            points = sum(lot.remaining for lot in lots)
            member_id = lock.card.member_id
            audit_record(
                actor=actor,
                action="points.matured",
                subject_type="card",
                subject_id=card_id,
                member_id=member_id,
                after={"lots": [lot.pk for lot in lots], "points": points},
            )
            event_emit(
                "points.matured",
                payload={"card_id": card_id, "points": points, "lots": len(lots)},
                member_id=member_id,
                store_id=lock.card.store_id,
            )
            marked += len(lots)
    return marked
