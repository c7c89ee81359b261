"""Delivered events older than the retention are purged with their deliveries; the rest stay."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from huiyuan.events.models import EventDelivery, OutboxEvent
from huiyuan.events.services import events_purge

pytestmark = pytest.mark.django_db


def event(status: str, age_days: int) -> OutboxEvent:
    row = OutboxEvent.objects.create(
        name="wallet.recharged",
        payload={},
        occurred_at=timezone.now() - dt.timedelta(days=age_days),
        status=status,
    )
    EventDelivery.objects.create(event=row, subscriber="test.sub", status=status)
    return row


def test_only_old_delivered_events_go(settings):
    settings.EVENTS_RETENTION_DAYS = 90
    with transaction.atomic():
        old_done = [event(OutboxEvent.Status.DONE, 91) for _ in range(3)]
        young_done = event(OutboxEvent.Status.DONE, 89)
        old_pending = event(OutboxEvent.Status.PENDING, 200)
        old_failed = event(OutboxEvent.Status.FAILED, 200)
    assert events_purge() == 3
    left = set(OutboxEvent.objects.values_list("pk", flat=True))
    assert left == {young_done.pk, old_pending.pk, old_failed.pk}
    assert not EventDelivery.objects.filter(event_id__in=[e.pk for e in old_done]).exists()
    assert EventDelivery.objects.count() == 3
    assert events_purge() == 0  # nothing left to do the second time


def test_purge_works_in_chunks(settings, monkeypatch):
    from huiyuan.events import services

    monkeypatch.setattr(services, "PURGE_CHUNK", 2)
    settings.EVENTS_RETENTION_DAYS = 30
    for _ in range(5):
        event(OutboxEvent.Status.DONE, 31)
    assert events_purge() == 5
    assert not OutboxEvent.objects.exists()
