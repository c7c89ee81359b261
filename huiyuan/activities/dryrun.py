"""Dry run on history (our edge): what an activity, a double-points day or an earn rule
would have given over past sales — replayed without writing anything.

Every completed member sale of the period in the actor's store scope is looked at (the
returned part deducted), at its own store and local time:

- a payment activity: each sale whose paid amount reaches the threshold earns the reward
  once (its stores; the budget left as it stands today stops it);
- a double-points day: what the sales of its days earned extra (their earned points ×
  (multiplier − 100 %), rounded down per sale);
- an earn rule: its points on each sale line's eligible amount, alone (no tier or
  birthday multiplier, no daily cap), next to what those sales really earned.

A coupon template's dry run is ``huiyuan.coupons.dryrun.template_dry_run``.
The cost of points is their value when offsetting (the points policy).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from huiyuan.activities.models import Activity, PointsDay
from huiyuan.activities.services.points_days import points_day_matches
from huiyuan.activities.services.rewards import points_cost_fen, sale_paid_fen
from huiyuan.checkout.models import Sale
from huiyuan.core.clock import local_date, local_day_start, local_today
from huiyuan.core.errors import NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.points.models import EarnRule
from huiyuan.points.rules import EarnContext, compute_earn
from huiyuan.points.services import rule_spec
from huiyuan.stores.scope import stores_in_view

MAX_SALES = 200_000
MAX_DAYS = 366


@dataclass(frozen=True)
class DryRun:
    subject: str  # activity:<id>, points_day:<id>, earn_rule:<id>
    date_from: dt.date
    date_to: dt.date  # inclusive
    sales_seen: int
    sales_hit: int
    members: int
    points: int
    coupons: int
    cost_fen: int
    sales_fen: int  # what the sales that would have earned it came to
    actual_points: int = 0  # earn rule: what those sales really earned


def last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    last_prev = today.replace(day=1) - dt.timedelta(days=1)
    return last_prev.replace(day=1), last_prev


def _period(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.date, dt.date]:
    if date_from is None or date_to is None:
        return last_month(local_today())
    if date_to < date_from:
        raise ValidationFailed(_("The end must come after the start."), code="ends_before_start")
    if (date_to - date_from).days >= MAX_DAYS:
        raise ValidationFailed(_("Choose at most a year."), code="period_too_long")
    return date_from, date_to


def _sales(
    actor: Actor, date_from: dt.date, date_to: dt.date, *, lines: bool = False
) -> Iterator[Sale]:
    sales = Sale.objects.filter(
        created_at__gte=local_day_start(date_from),
        created_at__lt=local_day_start(date_to + dt.timedelta(days=1)),
        member__isnull=False,
    ).exclude(status="reversed")
    stores = stores_in_view(actor)
    if stores is not None:
        sales = sales.filter(store_id__in=stores)
    if lines:
        sales = sales.prefetch_related("lines")
    return iter(sales.order_by("created_at", "pk")[:MAX_SALES])


def activity_dry_run(
    *,
    actor: Actor,
    activity_id: int,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> DryRun:
    """What a payment activity would have given over the period's sales."""
    require(actor, Perm.ACTIVITY_VIEW)
    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None:
        raise NotFound(_("Activity not found."), code="activity_not_found")
    if activity.kind != Activity.Kind.PAYMENT:
        raise ValidationFailed(
            _("Only a spend-and-get activity can be replayed on past sales."),
            code="dry_run_not_payment",
        )
    date_from, date_to = _period(date_from, date_to)
    left = None if activity.budget is None else max(0, activity.budget - activity.budget_used)
    coupon_cost = 0
    if activity.reward_kind == Activity.Reward.COUPON and activity.coupon_template_id:
        from huiyuan.coupons.models import CouponTemplate

        template = CouponTemplate.objects.filter(pk=activity.coupon_template_id).first()
        coupon_cost = template.liability_fen if template else 0
    seen = hit = sales_fen = 0
    members: set[int] = set()
    for sale in _sales(actor, date_from, date_to):
        seen += 1
        if activity.store_ids and sale.store_id not in activity.store_ids:
            continue
        paid = sale_paid_fen(sale.payable_fen, sale.points_offset_fen, sale.returned_payable_fen)
        if paid < activity.threshold_fen or (left is not None and hit >= left):
            continue
        hit += 1
        sales_fen += paid
        assert sale.member_id is not None
        members.add(sale.member_id)
    points = hit * activity.reward_points
    coupons = hit if activity.reward_kind == Activity.Reward.COUPON else 0
    return DryRun(
        subject=f"activity:{activity.pk}",
        date_from=date_from,
        date_to=date_to,
        sales_seen=seen,
        sales_hit=hit,
        members=len(members),
        points=points,
        coupons=coupons,
        cost_fen=points_cost_fen(points) + coupons * coupon_cost,
        sales_fen=sales_fen,
    )


def points_day_dry_run(
    *, actor: Actor, day_id: int, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> DryRun:
    """The extra points a double-points day would have given over the period's sales."""
    require(actor, Perm.ACTIVITY_VIEW)
    row = PointsDay.objects.filter(pk=day_id).first()
    if row is None:
        raise NotFound(_("Double-points day not found."), code="points_day_not_found")
    date_from, date_to = _period(date_from, date_to)
    seen = hit = extra = sales_fen = 0
    members: set[int] = set()
    probe = PointsDay(**{f.name: getattr(row, f.name) for f in PointsDay._meta.concrete_fields})
    probe.active = True
    for sale in _sales(actor, date_from, date_to):
        seen += 1
        kept = sale.points_earned - sale.returned_points_earned
        if kept <= 0 or not points_day_matches(probe, sale.store_id, local_date(sale.created_at)):
            continue
        hit += 1
        extra += kept * (row.multiplier_pct - 100) // 100
        sales_fen += sale.payable_fen - sale.returned_payable_fen
        assert sale.member_id is not None
        members.add(sale.member_id)
    return DryRun(
        subject=f"points_day:{row.pk}",
        date_from=date_from,
        date_to=date_to,
        sales_seen=seen,
        sales_hit=hit,
        members=len(members),
        points=extra,
        coupons=0,
        cost_fen=points_cost_fen(extra),
        sales_fen=sales_fen,
    )


def earn_rule_dry_run(
    *, actor: Actor, rule_id: int, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> DryRun:
    """The points an earn rule, alone, would have given over the period's sales."""
    require(actor, Perm.ACTIVITY_VIEW)
    rule = EarnRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("Earn rule not found."), code="earn_rule_not_found")
    spec = rule_spec(rule)
    # Replayed as if in effect all through the period: the question is "what if".
    spec = dataclasses.replace(
        spec, effective_from=dt.datetime.min.replace(tzinfo=dt.UTC), effective_to=None
    )
    date_from, date_to = _period(date_from, date_to)
    seen = hit = points = actual = sales_fen = 0
    members: set[int] = set()
    for sale in _sales(actor, date_from, date_to, lines=True):
        seen += 1
        earned = 0
        for line in sale.lines.all():
            amount = line.points_eligible_fen
            if amount <= 0:
                continue
            path = tuple(line.category_path or ())
            result = compute_earn(
                [spec],
                EarnContext(
                    amount_fen=amount,
                    at=sale.created_at,
                    store_id=sale.store_id,
                    category=path[-1] if path else "",
                    tier_code=sale.tier_code,
                ),
            )
            earned += result.points
        if spec.cap_per_sale is not None:
            earned = min(earned, spec.cap_per_sale)
        if earned <= 0:
            continue
        hit += 1
        points += earned
        actual += sale.points_earned - sale.returned_points_earned
        sales_fen += sale.payable_fen - sale.returned_payable_fen
        assert sale.member_id is not None
        members.add(sale.member_id)
    return DryRun(
        subject=f"earn_rule:{rule.pk}",
        date_from=date_from,
        date_to=date_to,
        sales_seen=seen,
        sales_hit=hit,
        members=len(members),
        points=points,
        coupons=0,
        cost_fen=points_cost_fen(points),
        sales_fen=sales_fen,
        actual_points=actual,
    )
