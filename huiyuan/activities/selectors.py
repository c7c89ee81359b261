"""Reads of the activities app: lists in the actor's store scope, sign-ups, statistics."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from huiyuan.activities.models import Activity, Notice, RewardGrant, Signup
from huiyuan.activities.services.common import activity_visible
from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor, Perm, require


def activity_list(*, actor: Actor, kind: str = "", status: str = "", q: str = "") -> list[Activity]:
    require(actor, Perm.ACTIVITY_VIEW)
    rows: QuerySet[Activity] = Activity.objects.all()
    if kind:
        rows = rows.filter(kind=kind)
    if status:
        rows = rows.filter(status=status)
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return [a for a in rows[:1000] if activity_visible(actor, a)]


def activity_get(*, actor: Actor, activity_id: int) -> Activity:
    require(actor, Perm.ACTIVITY_VIEW)
    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None or not activity_visible(actor, activity):
        raise NotFound(_("Activity not found."), code="activity_not_found")
    return activity


def signups_of(*, actor: Actor, activity_id: int, status: str = "") -> list[Signup]:
    activity = activity_get(actor=actor, activity_id=activity_id)
    rows = Signup.objects.filter(activity=activity)
    if status:
        rows = rows.filter(status=status)
    if actor.store_ids is not None:
        rows = rows.filter(store_id__in=actor.store_ids)
    return list(rows.order_by("id")[:2000])


def signup_get(*, actor: Actor, signup_id: int) -> Signup:
    require(actor, Perm.ACTIVITY_VIEW)
    row = Signup.objects.select_related("activity").filter(pk=signup_id).first()
    if row is None or (actor.store_ids is not None and row.store_id not in actor.store_ids):
        raise NotFound(_("Sign-up not found."), code="signup_not_found")
    return row


def member_signups(*, member_id: int) -> list[Signup]:
    """A member's own sign-ups (the portal shows these to the member)."""
    return list(
        Signup.objects.select_related("activity").filter(member_id=member_id).order_by("-id")[:200]
    )


def notices_of(*, actor: Actor, activity_id: int) -> list[Notice]:
    activity = activity_get(actor=actor, activity_id=activity_id)
    return list(Notice.objects.filter(activity=activity).order_by("-id")[:100])


@dataclass(frozen=True)
class ActivityStats:
    activity_id: int
    capacity: int
    seats_taken: int
    participants: int  # seated or attended
    waitlisted: int
    attended: int
    cancelled: int
    fees_fen: int  # fees kept (paid − refunded)
    refunds_fen: int
    rewards_given: int
    rewards_reversed: int
    points_given: int
    coupons_given: int
    cost_fen: int  # what the rewards cost (coupon face value; points valued by the policy)
    budget: int | None
    budget_used: int


def activity_stats(*, actor: Actor, activity_id: int) -> ActivityStats:
    activity = activity_get(actor=actor, activity_id=activity_id)
    counts = dict(
        Signup.objects.filter(activity=activity)
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    money = Signup.objects.filter(activity=activity).aggregate(
        paid=Sum("fee_fen", filter=~Q(fee_operation_id=None)), refunded=Sum("refund_fen")
    )
    live = RewardGrant.objects.filter(activity=activity, reversed_at__isnull=True)
    rewards = live.aggregate(
        n=Count("id"),
        points=Sum("points"),
        coupons=Count("id", filter=~Q(coupon_id=None)),
        cost=Sum("cost_fen"),
    )
    return ActivityStats(
        activity_id=activity.pk,
        capacity=activity.capacity,
        seats_taken=activity.seats_taken,
        participants=counts.get("seated", 0) + counts.get("attended", 0),
        waitlisted=counts.get("waitlisted", 0),
        attended=counts.get("attended", 0),
        cancelled=counts.get("cancelled", 0) + counts.get("not_seated", 0),
        fees_fen=(money["paid"] or 0) - (money["refunded"] or 0),
        refunds_fen=money["refunded"] or 0,
        rewards_given=rewards["n"] or 0,
        rewards_reversed=RewardGrant.objects.filter(
            activity=activity, reversed_at__isnull=False
        ).count(),
        points_given=rewards["points"] or 0,
        coupons_given=rewards["coupons"] or 0,
        cost_fen=rewards["cost"] or 0,
        budget=activity.budget,
        budget_used=activity.budget_used,
    )
