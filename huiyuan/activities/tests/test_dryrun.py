"""Dry run on history: replay past sales through an activity, a double-points day or an
earn rule, and write nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.activities import dryrun
from huiyuan.activities.models import Activity, RewardGrant
from huiyuan.activities.services.points_days import PointsDayInput, points_day_save
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.clock import local_date
from huiyuan.core.errors import ValidationFailed
from huiyuan.ledger.models import Operation
from huiyuan.ledger.tests.factories import default_rule, key
from huiyuan.points.models import EarnRule
from huiyuan.points.services import earn_rule_publish

pytestmark = pytest.mark.django_db


def _sale(actor, card, fen):
    return sale_quick(
        actor=actor,
        data=QuickSaleInput(amount_fen=fen, card_id=card.pk, external_method="cash"),
        idempotency_key=key(),
    )


def test_replays_sales_without_writing(owner, cashier, make_activity, card_with_money):
    default_rule(owner)
    a, b = card_with_money(0), card_with_money(0)
    _sale(cashier, a, 12_000)
    _sale(cashier, a, 15_000)
    _sale(cashier, b, 5_000)
    now = timezone.now()
    # Drafted after the sales: the question is what it would have given them.
    activity = make_activity(
        publish=False,
        kind=Activity.Kind.PAYMENT,
        capacity=0,
        threshold_fen=10_000,
        reward_kind="points",
        reward_points=50,
        budget=10,
        starts_at=now + dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=30),
    )
    earn_rule_publish(
        actor=owner, code="double", name="每元2分", unit_fen=100, points_per_unit=2, priority=1
    )
    day = points_day_save(
        actor=owner,
        data=PointsDayInput(
            name="会员日", multiplier_pct=300, weekdays=[local_date(now).isoweekday()]
        ),
    )
    operations = Operation.objects.count()
    today = local_date(now)

    run = dryrun.activity_dry_run(
        actor=owner, activity_id=activity.pk, date_from=today, date_to=today
    )
    assert (run.sales_seen, run.sales_hit, run.members, run.points) == (3, 2, 1, 100)
    assert run.sales_fen == 27_000

    rule = EarnRule.objects.get(code="double")
    earn = dryrun.earn_rule_dry_run(actor=owner, rule_id=rule.pk, date_from=today, date_to=today)
    assert (earn.sales_hit, earn.members, earn.points, earn.actual_points) == (3, 2, 640, 320)

    extra = dryrun.points_day_dry_run(actor=owner, day_id=day.pk, date_from=today, date_to=today)
    assert (extra.sales_hit, extra.points) == (3, 640)  # 320 earned × (300 % − 100 %)

    assert not RewardGrant.objects.exists()
    assert Operation.objects.count() == operations
    with pytest.raises(ValidationFailed) as backwards:
        dryrun.activity_dry_run(
            actor=owner,
            activity_id=activity.pk,
            date_from=today,
            date_to=today - dt.timedelta(days=1),
        )
    assert backwards.value.code == "ends_before_start"
