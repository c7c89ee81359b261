"""The daily roll-ups against hand-computed figures; events == rebuild; idempotency."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command

from huiyuan.analytics import rollups
from huiyuan.analytics.models import DailyFigure, MemberStat, RollupSource
from huiyuan.analytics.subscribers import rollup
from huiyuan.core.clock import local_today
from huiyuan.events.models import OutboxEvent


def figures() -> dict[tuple[str, int, str, str], tuple[int, int]]:
    return {
        (f.day.isoformat(), f.store_id, f.metric, f.dim): (f.count, f.amount)
        for f in DailyFigure.objects.all()
        if f.count or f.amount
    }


def stats() -> dict[int, tuple[object, ...]]:
    """The per-member roll-up, every field."""
    return {
        row[0]: row[1:] for row in MemberStat.objects.values_list("member_id", *rollups.STAT_FIELDS)
    }


def test_figures_from_events_match_hand_computed_values(business, stores):
    today = local_today().isoformat()
    s1, s2 = stores[0].pk, stores[1].pk
    got = figures()
    expected = {
        # ¥100 by card, ¥50 cash, ¥30 WeChat: three sales of ¥180.
        (today, s1, "sales", ""): (3, 18000),
        (today, s1, "reversals", ""): (1, 3000),  # the WeChat sale
        (today, s1, "returns", ""): (1, 5000),  # the cash sale, every line
        (today, s1, "pay", "stored_value"): (0, 10000),
        # cash in and back out again; WeChat in and back on the reversal
        (today, s1, "pay", "cash"): (0, 0),
        (today, s1, "recharges", ""): (1, 50000),
        (today, s1, "recharge_bonus", ""): (1, 5000),
        (today, s1, "recharge_pay", "cash"): (1, 50000),
        (today, s1, "refunds", ""): (1, 1000),
        (today, s1, "refund_pay", "cash"): (1, 1000),
        (today, s1, "members_new", "store"): (1, 0),
        # 1 point per ¥1: 100 + 50 + 30 earned, 30 reversed, 50 taken back by the return.
        (today, s1, "points_issued", ""): (0, 100),
        (today, s1, "points_adjusted", ""): (0, 1000),
        (today, s2, "sales", ""): (1, 2000),
        (today, s2, "pay", "cash"): (0, 2000),
        (today, s2, "members_new", "store"): (1, 0),
        (today, s2, "points_issued", ""): (0, 20),
    }
    staff_rows = {k: v for k, v in got.items() if k[2] == "members_staff" and k[1] != rollups.CHAIN}
    assert sum(v[0] for v in staff_rows.values()) == 2
    per_store = {k: v for k, v in got.items() if k[1] != rollups.CHAIN}
    month = local_today().replace(day=1).isoformat()
    assert per_store[(month, s1, "members_month", "")] == (1, 0)
    assert per_store[(month, s2, "members_month", "")] == (1, 0)
    by_hand = {k: v for k, v in per_store.items() if k[2] not in ("members_staff", "members_month")}
    assert {k: v for k, v in by_hand.items() if v != (0, 0)} == {
        k: v for k, v in expected.items() if v != (0, 0)
    }
    # The chain's rows hold the sum of the stores'.
    chain = {k: v for k, v in got.items() if k[1] == rollups.CHAIN}
    assert chain[(today, rollups.CHAIN, "sales", "")] == (4, 20000)
    assert chain[(today, rollups.CHAIN, "pay", "cash")] == (0, 2000)
    assert len(chain) == len({(k[0], k[2], k[3]) for k in per_store})
    # Net sales at S01: 180 − 30 reversed − 50 returned = ¥100.
    net = got[(today, s1, "sales", "")][1] - got[(today, s1, "reversals", "")][1]
    assert net - got[(today, s1, "returns", "")][1] == 10000


def test_rebuild_from_the_ledger_agrees_with_the_events(business):
    from_events = figures()
    kept = stats()
    assert len(kept) == 2  # the two buyers
    sources = set(RollupSource.objects.values_list("key", flat=True))
    today = local_today()
    MemberStat.objects.all().delete()  # as if their events had been lost
    result = rollups.rollup_rebuild(today - dt.timedelta(days=1), today)
    assert figures() == from_events
    assert stats() == kept
    assert set(RollupSource.objects.values_list("key", flat=True)) == sources
    assert result["sources"] == len(sources)
    # the command does the same
    MemberStat.objects.update(purchases=99, net_fen=1, last_visit=None)
    call_command("analytics_rebuild", "--from", today.isoformat(), "--to", today.isoformat())
    assert figures() == from_events
    assert stats() == kept


def test_a_redelivered_event_counts_nothing_twice(business):
    before, kept = figures(), stats()
    for event in OutboxEvent.objects.order_by("id"):
        rollup(event)  # every event again, as a redelivery would
    assert figures() == before
    assert stats() == kept
    assert rollups.sweep_operations(local_today() - dt.timedelta(days=3)) == 0
    assert figures() == before


def test_a_rebuild_before_the_event_arrives_is_not_doubled(business):
    today = local_today()
    kept = stats()
    DailyFigure.objects.all().delete()
    RollupSource.objects.all().delete()
    MemberStat.objects.all().delete()
    rollups.rollup_rebuild(today, today)
    rebuilt = figures()
    assert stats() == kept
    for event in OutboxEvent.objects.order_by("id"):
        rollup(event)
    assert figures() == rebuilt
    assert stats() == kept


def test_expired_points_come_in_with_the_daily_sweep(business, owner):
    from django.utils import timezone

    from huiyuan.ledger.models import Lot
    from huiyuan.points.services import lots_expire_due

    Lot.objects.filter(account__card_id=business.other_card.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    lots_expire_due(actor=owner)
    today = local_today()
    assert rollups.sweep_operations(today - dt.timedelta(days=3)) == 1
    swept = figures()
    assert swept[(today.isoformat(), business.other_card.store_id, "points_expired", "")] == (0, 20)
    rollups.rollup_rebuild(today, today)
    assert figures() == swept
