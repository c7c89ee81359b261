"""Points reports: liability (outstanding points valued in money) and rule listings."""

from __future__ import annotations

from django.db.models import Count, Sum

from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.ledger.models import Account, Entry
from huiyuan.points.models import EarnRule, PointsPolicy


def points_liability(*, actor: Actor) -> dict[str, int]:
    """Points outstanding on member cards and their value in fen at the offset rate."""
    require(actor, Perm.REPORT_VIEW)
    row = Account.objects.filter(
        member_side=True, kind=Account.Kind.POINTS, balance__gt=0
    ).aggregate(points=Sum("balance"), cards=Count("id"))
    points = row["points"] or 0
    policy = PointsPolicy.current()
    flows = dict(
        Entry.objects.filter(account__card_id__isnull=True)
        .filter(
            account__kind__in=[
                Account.Kind.STORE_POINTS_ISSUED,
                Account.Kind.STORE_POINTS_REDEEMED,
                Account.Kind.POINTS_EXPIRED,
                Account.Kind.POINTS_ADJUSTMENTS,
            ]
        )
        .values("account__kind")
        .annotate(s=Sum("delta"))
        .values_list("account__kind", "s")
    )
    return {
        "points": points,
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
