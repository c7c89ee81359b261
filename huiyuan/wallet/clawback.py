"""Bonus clawback on refund: cumulative per card, so it never depends on how a refund is split.

The rule (docs/money-rules.md), over the card's whole life (the cards it replaced included):

    clawed back so far = round_half_up(bonus granted × principal refunded so far
                                       / principal recharged)

Each refund takes back the difference between that target (with this refund counted) and
what earlier refunds took back, never more than the bonus still available. Two hundred
refunds of 1 fen therefore take back exactly what one refund of ¥2.00 takes back.

The totals are derived, not stored: they are sums over the ``Recharge`` and ``Refund`` rows
of the card and of every card it replaced (补卡 moves the money to a new card; the chain
``Card.replaced_by`` leads back to the first). Derived totals cannot drift from the records
they summarise, need no migration, and ask nothing of ``card_reissue``. The cost is one
query per reissue in the chain (usually none) plus two aggregates on indexed ``card_id``,
paid only on a refund, which is rare. Call ``bonus_clawback`` after the card's accounts are
locked, so that a concurrent refund on the same card is already counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum

from huiyuan.cards.models import Card
from huiyuan.wallet.models import Recharge, Refund


@dataclass(frozen=True)
class RefundTotals:
    """What a card (and the cards it replaced) was recharged, granted, refunded, clawed back."""

    principal_recharged: int
    bonus_granted: int
    principal_refunded: int
    bonus_clawed_back: int


def card_chain_ids(card_id: int) -> list[int]:
    """The card and every card it replaced through reissue, newest first."""
    ids = [card_id]
    while True:
        previous = Card.objects.filter(replaced_by_id=ids[-1]).values_list("pk", flat=True).first()
        if previous is None or previous in ids:
            return ids
        ids.append(previous)


def refund_totals(card_id: int) -> RefundTotals:
    ids = card_chain_ids(card_id)
    recharged = Recharge.objects.filter(card_id__in=ids).aggregate(
        principal=Sum("principal_fen"), bonus=Sum("bonus_fen")
    )
    refunded = Refund.objects.filter(card_id__in=ids).aggregate(
        principal=Sum("principal_fen"), bonus=Sum("bonus_clawback_fen")
    )
    return RefundTotals(
        principal_recharged=recharged["principal"] or 0,
        bonus_granted=recharged["bonus"] or 0,
        principal_refunded=refunded["principal"] or 0,
        bonus_clawed_back=refunded["bonus"] or 0,
    )


def clawback_target(
    *, bonus_granted: int, principal_refunded: int, principal_recharged: int
) -> int:
    """round_half_up(bonus_granted × principal_refunded / principal_recharged), in integers."""
    if principal_recharged <= 0:
        return 0
    numerator = bonus_granted * principal_refunded
    return (2 * numerator + principal_recharged) // (2 * principal_recharged)


def bonus_clawback(*, card_id: int, refund_fen: int, bonus_available: int) -> int:
    """The bonus a refund of ``refund_fen`` on this card takes back (0 ≤ it ≤ available)."""
    totals = refund_totals(card_id)
    target = clawback_target(
        bonus_granted=totals.bonus_granted,
        principal_refunded=totals.principal_refunded + refund_fen,
        principal_recharged=totals.principal_recharged,
    )
    return max(0, min(target - totals.bonus_clawed_back, bonus_available))
