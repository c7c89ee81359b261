"""Real threads against PostgreSQL: several dispatchers deliver each event exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from huiyuan.events import dispatch, services
from huiyuan.events.dispatch import DispatchReport, events_dispatch
from huiyuan.events.models import EventDelivery, OutboxEvent
from huiyuan.events.registry import subscriber
from huiyuan.events.services import event_emit

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

EVENTS = 60


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED dispatch is tested on PostgreSQL (SQLite serialises writers)")


@pytest.fixture
def counted(registry, monkeypatch):
    """Two subscribers that count their runs; events written without the after-commit
    dispatch, so that the threads below are the only dispatchers."""
    monkeypatch.setattr(services, "_enqueue_dispatch", lambda: None)
    runs: Counter[tuple[int, str]] = Counter()
    lock = threading.Lock()

    def make(name: str):
        def handler(event: OutboxEvent) -> None:
            time.sleep(0.002)  # hold the delivery's row lock a moment: let the threads meet
            with lock:
                runs[(event.pk, name)] += 1

        subscriber("sale.completed", name=name)(handler)

    make("test.coupons")
    make("test.webhook")
    for i in range(EVENTS):
        with transaction.atomic():
            event_emit(
                "sale.completed",
                payload={
                    "sale_id": i + 1,
                    "card_id": None,
                    "operation_id": None,
                    "amount_fen": 100,
                    "discount_fen": 0,
                    "payable_fen": 100,
                    "paid_principal_fen": 0,
                    "paid_bonus_fen": 0,
                    "points_used": 0,
                    "points_offset_fen": 0,
                    "paid_external_fen": 100,
                    "external_method": "cash",
                    "points_earned": 0,
                },
            )
    return runs


def run_threads(target, count: int) -> list[object]:
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = f"crash: {exc!r}"
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_two_dispatchers_deliver_each_event_exactly_once(counted, monkeypatch):
    monkeypatch.setattr(dispatch, "BATCH", 5)  # many small claims: the two interleave
    reports = run_threads(lambda i: events_dispatch(), 2)
    assert all(isinstance(r, DispatchReport) for r in reports), reports
    ids = list(OutboxEvent.objects.values_list("pk", flat=True))
    assert counted == {(pk, name): 1 for pk in ids for name in ("test.coupons", "test.webhook")}
    assert sum(r.delivered for r in reports) == 2 * EVENTS  # type: ignore[attr-defined]
    assert set(OutboxEvent.objects.values_list("status", flat=True)) == {"done"}
    assert EventDelivery.objects.filter(status="done", attempts=1).count() == 2 * EVENTS


def test_dispatchers_racing_on_the_same_event_run_each_subscriber_once(counted):
    """Past the claim (a lease ran out while a slow subscriber ran): the delivery's row lock
    and its re-checked status still let only one dispatcher run it."""
    now = timezone.now()
    event = dispatch._claim(now, 1)[0]  # with its delivery rows
    reports = [DispatchReport() for _ in range(8)]
    results = run_threads(lambda i: dispatch._dispatch_event(event, now, reports[i]), 8)
    assert results == [None] * 8, results
    assert {k: v for k, v in counted.items() if k[0] == event.pk} == {
        (event.pk, "test.coupons"): 1,
        (event.pk, "test.webhook"): 1,
    }
    assert sum(r.delivered for r in reports) == 2
    event.refresh_from_db()
    assert event.status == "done"
