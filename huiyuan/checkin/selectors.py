"""Reads of the daily check-in: a member's streak and recent check-ins."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from huiyuan.checkin import rules
from huiyuan.checkin.models import Checkin, CheckinPolicy
from huiyuan.core.clock import local_today


@dataclass(frozen=True)
class Streak:
    checked_in_today: bool
    current: int  # the streak as it stands (0: broken or never)
    next_points: int  # what checking in next would earn


def member_streak(member_id: int, *, today: dt.date | None = None) -> Streak:
    today = today or local_today()
    policy = CheckinPolicy.current()
    last = Checkin.objects.filter(member_id=member_id).order_by("-business_date").first()
    if last is not None and last.business_date >= today:
        nxt = rules.points_for(last.streak + 1, policy.rewards, policy.cycle_days)
        return Streak(True, last.streak, nxt)
    alive = last is not None and last.business_date + dt.timedelta(days=1) == today
    current = last.streak if (last and alive) else 0
    nxt = rules.points_for(current + 1, policy.rewards, policy.cycle_days)
    return Streak(False, current, nxt)


def checkins_recent(*, member_id: int | None = None, limit: int = 50) -> QuerySet[Checkin]:
    rows = Checkin.objects.all()
    if member_id is not None:
        rows = rows.filter(member_id=member_id)
    return rows.order_by("-created_at", "-id")[:limit]
