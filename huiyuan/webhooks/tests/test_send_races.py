"""Real threads on PostgreSQL: several workers send the same due deliveries at once, and
each delivery reaches the receiver once, with one attempt recorded."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from huiyuan.webhooks.delivery import deliveries_send
from huiyuan.webhooks.models import WebhookAttempt, WebhookDelivery

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DELIVERIES = 40
WORKERS = 3


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED claims are tested on PostgreSQL (SQLite serialises writers)")


def test_workers_share_deliveries_and_send_each_once(subscribe, receiver):
    sub, _secret = subscribe("sale.completed")
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription=sub,
            event_id=i,
            event_name="sale.completed",
            body=f'{{"id":{i}}}',
            next_attempt_at=now,
        )
        for i in range(1, DELIVERIES + 1)
    )
    barrier = threading.Barrier(WORKERS)
    crashes: list[str] = []

    def worker() -> None:
        try:
            barrier.wait()
            deliveries_send()
        except Exception as exc:  # noqa: BLE001 - asserted below
            crashes.append(repr(exc))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert crashes == []
    sent = Counter(r.headers["X-Huiyuan-Delivery"] for r in receiver.requests)
    assert len(sent) == DELIVERIES and set(sent.values()) == {1}
    assert WebhookDelivery.objects.filter(status="succeeded", attempts=1).count() == DELIVERIES
    assert WebhookAttempt.objects.count() == DELIVERIES
