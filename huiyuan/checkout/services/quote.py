"""The quick consumption's live quote: what the counter shows while the cashier types.

The payable comes from the pricing engine with the same inputs as ``sale_quick`` (tier,
promotions in force), so the quote equals the sale; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from huiyuan.checkout.services.basket_quote import unlocked_card
from huiyuan.checkout.services.common import sale_config
from huiyuan.checkout.services.sale import quick_line
from huiyuan.checkout.services.sale_pricing import member_snapshot, price
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.ledger import services as ledger
from huiyuan.ledger.models import Account
from huiyuan.pricing import points_max
from huiyuan.tiers import services as tier_services


@dataclass(frozen=True)
class SaleQuote:
    """What a quick consumption would come to, before it is recorded (nothing is written).

    The counter shows it live; ``sale_quick`` decides again when the sale is submitted.
    """

    amount_fen: int
    tier_code: str
    tier_name: str
    discount_permille: int
    discount_fen: int
    payable_fen: int
    points: int  # as asked for
    points_used: int  # what the quote counts: never above ``max_points``
    points_offset_fen: int  # what ``points_used`` pays
    points_per_yuan: int
    max_points: int  # the most points this bill and this card allow
    balance_fen: int
    max_balance_fen: int  # the most stored value that can still pay this bill
    external_fen: int
    overpaid: bool
    overpaid_fen: int  # how much points and stored value exceed the payable
    available_fen: int  # principal and unexpired bonus on the card
    available_points: int


def sale_quote(
    *,
    actor: Actor,
    amount_fen: int,
    card_id: int | None = None,
    points: int = 0,
    balance_fen: int = 0,
    category: str = "",
) -> SaleQuote:
    """Price a quick consumption the way ``sale_quick`` does: tier discount, promotions,
    points offset, stored value, and what is left for an external method."""
    require(actor, Perm.SALE_CREATE)
    amount_fen = max(0, amount_fen)
    points, balance_fen = max(0, points), max(0, balance_fen)
    now = timezone.now()
    card, state = unlocked_card(card_id) if card_id is not None else (None, None)
    member = card.member if card is not None else None
    config = sale_config(now, with_tiers=member is not None)
    tier = tier_services.tier_of(state, config.tiers) if member is not None else None
    snapshot = None
    available_fen = available_points = 0
    if card is not None:
        accounts = ledger.card_accounts(card.pk)
        lots = ledger.spendable_lots_of(
            [accounts[Account.Kind.BONUS].pk, accounts[Account.Kind.POINTS].pk], now
        )
        snapshot = member_snapshot(member=member, tier=tier, accounts=accounts, lots=lots, now=now)
        available_fen = snapshot.principal_available + snapshot.bonus_available
        available_points = snapshot.points_available
    priced = price(
        (quick_line(amount_fen, (category or "").strip()[:40]),),
        store_id=actor.store_id,
        now=now,
        member=snapshot,
        config=config,
        points=0,
        balance_fen=0,
    )
    payable = priced.payable_fen
    policy = config.payment_policy
    max_points = points_max(payable, available_points, policy)
    # Points above the cap are not counted (the counter says "at most N"); the sale refuses them.
    used = min(points, max_points)
    offset = used * 100 // policy.points_per_yuan
    rest = max(0, payable - offset)
    return SaleQuote(
        amount_fen=amount_fen,
        tier_code=tier.code if tier is not None else "",
        tier_name=tier.name if tier is not None else "",
        discount_permille=tier.discount_permille if tier is not None else 1000,
        discount_fen=priced.discount_fen,
        payable_fen=payable,
        points=points,
        points_used=used,
        points_offset_fen=offset,
        points_per_yuan=policy.points_per_yuan,
        max_points=max_points,
        balance_fen=balance_fen,
        max_balance_fen=min(available_fen, rest),
        external_fen=max(0, payable - offset - balance_fen),
        overpaid=offset + balance_fen > payable,
        overpaid_fen=max(0, offset + balance_fen - payable),
        available_fen=available_fen,
        available_points=available_points,
    )
