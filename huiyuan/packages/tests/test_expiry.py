"""Expiry reminders once per package, expiry after the last valid local day; the daily job
is idempotent."""

from __future__ import annotations

import datetime as dt

from huiyuan.events.models import OutboxEvent
from huiyuan.jobs import scheduler
from huiyuan.packages.expiry import packages_expiry_run
from huiyuan.packages.models import MemberPackage
from huiyuan.packages.tests.conftest import packages_of

UTC = dt.UTC


def test_the_reminder_and_expiry(plan_set, member_card, sell, owner, clock, settings):
    settings.PACKAGES_EXPIRY_REMIND_DAYS = 3
    clock(dt.datetime(2026, 11, 10, 2, 0, tzinfo=UTC))
    package = packages_of(sell(plan_set.monthly, member_card))[0]  # valid to 12-09
    # 12-05 local: 4 days left, beyond the horizon.
    early = dt.datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    assert packages_expiry_run(actor=owner, now=early) == {"reminded": 0, "expired": 0}
    # 07:30 on 12-06 local (23:30 UTC on 12-05): 3 days left.
    due = dt.datetime(2026, 12, 5, 23, 30, tzinfo=UTC)
    assert packages_expiry_run(actor=owner, now=due) == {"reminded": 1, "expired": 0}
    assert packages_expiry_run(actor=owner, now=due) == {"reminded": 0, "expired": 0}
    event = OutboxEvent.objects.get(name="package.expiring")
    assert event.payload == {
        "package_id": package.pk,
        "plan_id": plan_set.monthly.pk,
        "days_left": 3,
        "remaining": None,
    }
    # The last day (12-09 local) is still valid; at 00:30 on 12-10 local it expires.
    last = dt.datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
    assert packages_expiry_run(actor=owner, now=last) == {"reminded": 0, "expired": 0}
    after = dt.datetime(2026, 12, 9, 16, 30, tzinfo=UTC)
    assert packages_expiry_run(actor=owner, now=after) == {"reminded": 0, "expired": 1}
    assert packages_expiry_run(actor=owner, now=after) == {"reminded": 0, "expired": 0}
    package.refresh_from_db()
    assert package.status == MemberPackage.Status.EXPIRED
    assert OutboxEvent.objects.filter(name="package.expired").count() == 1


def test_the_daily_job_is_scheduled_once_a_day(db):
    now = dt.datetime(2026, 11, 10, 23, 30, tzinfo=UTC)
    assert "package_expiry" in scheduler.tick(now, who="a")
    assert "package_expiry" not in scheduler.tick(now, who="b")
