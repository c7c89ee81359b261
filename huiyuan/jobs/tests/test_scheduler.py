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
    now = timezone.now()
    assert scheduler.tick(now, who="a") == [
        "expire_lots",
        "evaluate_tiers",
        "terminate_inactive_members",
    ]
    assert balances(c)["points"] == 0
    assert scheduler.tick(now, who="b") == []
    tomorrow = now + dt.timedelta(days=1)
    assert (
        scheduler.tick(tomorrow, who="b") == ["expire_lots"]
        or timezone.localtime(tomorrow).day == 1
    )
    assert ScheduledRun.objects.filter(job="expire_lots").count() == 2


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
