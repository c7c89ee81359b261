"""Demo activities: an upcoming sign-up class, a spend-and-get offer and a weekly
double-points day, so 会员活动 shows something in ``make run``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from huiyuan.activities import services
from huiyuan.activities.models import Activity, PointsDay
from huiyuan.activities.services.points_days import PointsDayInput, points_day_save


def load_activities(org: Any) -> int:
    """Create the demo activities once; the number created."""
    marketer = org.actor("marketing")
    created = 0
    today = timezone.localtime().replace(hour=14, minute=0, second=0, microsecond=0)
    starts = today + dt.timedelta(days=(5 - today.weekday()) % 7 + 7)
    specs = [
        services.ActivityInput(
            code="DEMO-BAKING",
            name="周末亲子烘焙课",
            kind=Activity.Kind.SIGNUP,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            location="旗舰店二楼烘焙教室",
            description="亲子一起做曲奇和蛋挞，材料由门店准备，每组一大一小。",
            capacity=12,
            fee_fen=3990,
            refund_rule=Activity.Refund.HOURS_BEFORE,
            refund_hours=24,
        ),
        services.ActivityInput(
            code="DEMO-SPEND200",
            name="单笔满200送200积分",
            kind=Activity.Kind.PAYMENT,
            starts_at=today - dt.timedelta(days=1),
            ends_at=today + dt.timedelta(days=30),
            threshold_fen=20000,
            reward_kind=Activity.Reward.POINTS,
            reward_points=200,
            budget=500,
        ),
    ]
    for data in specs:
        if Activity.objects.filter(code=data.code).exists():
            continue
        activity = services.activity_create(actor=marketer, data=data)
        services.activity_publish(actor=marketer, activity_id=activity.pk)
        created += 1
    if not PointsDay.objects.exists():
        points_day_save(
            actor=marketer,
            data=PointsDayInput(name="周三会员日", multiplier_pct=200, weekdays=[3]),
        )
        created += 1
    return created
