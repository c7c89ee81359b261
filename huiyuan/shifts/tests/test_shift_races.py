"""Real threads on PostgreSQL: opening twice at once, closing twice at once."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection

from huiyuan.core.races import race
from huiyuan.events.models import OutboxEvent
from huiyuan.ledger.tests.factories import key
from huiyuan.shifts.models import Shift
from huiyuan.shifts.services import shift_close, shift_open

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are tested on PostgreSQL (SQLite serialises writers)")


def test_concurrent_opens_leave_one_open_shift(stores, cashier):
    for _round in range(4):
        results = race(
            *[lambda: shift_open(actor=cashier, float_fen=100, idempotency_key=key())] * 4
        )
        kinds = Counter(r if isinstance(r, str) else "opened" for r in results)
        assert kinds == {"opened": 1, "shift_already_open": 3}, results
        shift = Shift.objects.get(status=Shift.Status.OPEN)
        results = race(
            *[
                lambda shift_id=shift.pk: shift_close(
                    actor=cashier, shift_id=shift_id, counted={"cash": 100}, idempotency_key=key()
                )
            ]
            * 3
        )
        kinds = Counter(r if isinstance(r, str) else "closed" for r in results)
        assert kinds == {"closed": 1, "shift_closed": 2}, results
    assert OutboxEvent.objects.filter(name="shift.opened").count() == 4
    assert OutboxEvent.objects.filter(name="shift.closed").count() == 4
