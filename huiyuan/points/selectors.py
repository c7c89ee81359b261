"""Points reports: liability (outstanding points valued in money) and rule listings."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.utils import timezone

from huiyuan.cards.models import Card
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.replica import on_replica
from huiyuan.ledger.models import Account, Entry
from huiyuan.points.maturation import points_pending_total
from huiyuan.points.models import EarnRule, PointsPolicy
from huiyuan.stores.scope import stores_in_view

_FLOW_KINDS = [
    Account.Kind.STORE_POINTS_ISSUED,
    Account.Kind.STORE_POINTS_REDEEMED,
    Account.Kind.POINTS_EXPIRED,
    Account.Kind.POINTS_ADJUSTMENTS,
]


@on_replica
def points_liability(*, actor: Actor, store_id: int | None = None) -> dict[str, int]:
    """Points outstanding on member cards and their value in fen at the offset rate.

    Limited to the stores in view (``stores_in_view``): points on the cards those stores
    issued; points issued and redeemed at those stores; expiries and hand adjustments on
    their cards.
    """
    require(actor, Perm.REPORT_VIEW)
    store_ids = stores_in_view(actor, store_id)
    accounts = Account.objects.filter(member_side=True, kind=Account.Kind.POINTS, balance__gt=0)
    entries = Entry.objects.filter(account__card_id__isnull=True, account__kind__in=_FLOW_KINDS)
    if store_ids is not None:
        cards = Card.objects.filter(store_id__in=store_ids).values("pk")
        accounts = accounts.filter(card_id__in=cards)
        # Store accounts by their store; the chain's sinks by the card on the other leg.
        entries = entries.filter(
            Q(account__store_id__in=store_ids)
            | Q(account__store_id__isnull=True, transfer__from_account__card_id__in=cards)
            | Q(account__store_id__isnull=True, transfer__to_account__card_id__in=cards)
        )
    row = accounts.aggregate(points=Sum("balance"), cards=Count("id"))
    points = row["points"] or 0
    pending = points_pending_total(store_ids, timezone.now())
    policy = PointsPolicy.current()
    flows = dict(
        entries.values("account__kind").annotate(s=Sum("delta")).values_list("account__kind", "s")
    )
    return {
        "points": points,
        "pending": pending,  # earned, not spendable until the return window ends (P1)
        "spendable": points - pending,
        "cards": row["cards"] or 0,
        "value_fen": points * 100 // policy.points_per_yuan,
        "issued": -(flows.get(Account.Kind.STORE_POINTS_ISSUED) or 0),
        "redeemed": flows.get(Account.Kind.STORE_POINTS_REDEEMED) or 0,
        "expired": flows.get(Account.Kind.POINTS_EXPIRED) or 0,
        "adjusted": -(flows.get(Account.Kind.POINTS_ADJUSTMENTS) or 0),
    }


def earn_rules(*, current_only: bool = False) -> list[EarnRule]:
    rules = EarnRule.objects.order_by("code", "-version")
    if current_only:
        rules = rules.filter(effective_to__isnull=True, is_active=True)
    return list(rules)
