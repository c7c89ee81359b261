"""Real threads on PostgreSQL: ten check-ins of one member at once earn once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import close_old_connections, connection

from huiyuan.checkin import services
from huiyuan.checkin.models import Checkin
from huiyuan.core.errors import DomainError
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.ledger.verify import verify_ledger

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are tested on PostgreSQL (SQLite serialises writers)")


def test_concurrent_check_ins_earn_once(cashier, owner):
    c = card(cashier, owner)
    barrier = threading.Barrier(10)
    results: list[object] = [None] * 10

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = services.checkin_record(actor=cashier, card_id=c.pk, idempotency_key=key())
        except DomainError as exc:
            results[i] = exc.code
        except Exception as exc:  # noqa: BLE001 - asserted below: nothing else may escape
            results[i] = f"crash: {exc!r}"
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    codes = Counter(r for r in results if isinstance(r, str))
    assert codes == {"already_checked_in": 9}, results
    assert Checkin.objects.count() == 1
    assert balances(c)["points"] == 5
    assert verify_ledger().ok
