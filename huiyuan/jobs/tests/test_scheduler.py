"""Periodic jobs run once per period, even with several schedulers."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from huiyuan.jobs import scheduler
from huiyuan.jobs.models import ScheduledRun
from huiyuan.ledger.models import Lot
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.points.services import points_adjust


def test_tick_runs_each_job_once_per_period(db, owner, cashier):
    c = card(cashier, owner)
    points_adjust(actor=owner, card_id=c.pk, delta=300, reason="活动", idempotency_key=key())
    Lot.objects.update(expires_at=timezone.now() - dt.timedelta(days=1))
    now = dt.datetime(2026, 11, 10, 23, 30, tzinfo=dt.UTC)  # 07:30 on 11-11 in Shanghai
    assert scheduler.tick(now, who="a") == [
        "expire_lots",
        "mature_points",
        "purge_idempotency_keys",
        "purge_events",
        "package_expiry",
        "care_rules",
        "benefit_expiry",
        "referral_release",
        "analytics_daily",
        "followups_daily",
        "activities_daily",
        "segments_daily",
        "evaluate_tiers",
        "terminate_inactive_members",
    ]
    assert balances(c)["points"] == 0
    assert scheduler.tick(now, who="b") == []
    # 23:59 on 11-11 in Shanghai is the same local day, though a new UTC day.
    assert scheduler.tick(dt.datetime(2026, 11, 11, 15, 59, tzinfo=dt.UTC), who="b") == []
    tomorrow = now + dt.timedelta(days=1)
    assert scheduler.tick(tomorrow, who="b") == [
        "expire_lots",
        "mature_points",
        "purge_idempotency_keys",
        "purge_events",
        "package_expiry",
        "care_rules",
        "benefit_expiry",
        "referral_release",
        "analytics_daily",
        "followups_daily",
        "activities_daily",
        "segments_daily",
    ]
    assert list(
        ScheduledRun.objects.filter(job="expire_lots")
        .order_by("period")
        .values_list("period", flat=True)
    ) == ["2026-11-11", "2026-11-12"]


def test_periods_are_local_dates_whatever_zone_is_active(db):
    month_turns = dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)  # 00:00 on 12-01 in Shanghai
    with timezone.override("UTC"):
        assert scheduler.daily(month_turns) == "2026-12-01"
        assert scheduler.monthly(month_turns) == "2026-12"
        assert scheduler.daily(month_turns - dt.timedelta(microseconds=1)) == "2026-11-30"
        assert scheduler.monthly(month_turns - dt.timedelta(microseconds=1)) == "2026-11"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_racing_claim_once():
    if connection.vendor != "postgresql":
        pytest.skip("claim races are tested on PostgreSQL")
    now = timezone.now()
    job = scheduler.JOBS[0]
    barrier = threading.Barrier(8)
    wins: list[bool] = []

    def race(i: int) -> None:
        try:
            barrier.wait()
            wins.append(scheduler.claim(job, now, f"s{i}") is not None)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 7 + [True]
    assert ScheduledRun.objects.filter(job=job.name).count() == 1
