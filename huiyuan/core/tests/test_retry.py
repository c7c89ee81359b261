"""atomic_retry: a busy or deadlocked transaction runs again; nothing else does."""

from __future__ import annotations

import pytest
from django.db import OperationalError, transaction

from huiyuan.core.errors import ValidationFailed
from huiyuan.core.retry import Busy, RetryTransaction, atomic_retry, is_retryable


class Deadlock(Exception):
    sqlstate = "40P01"


def flaky(failures: list[BaseException]):
    calls = []

    def work() -> str:
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return "done"

    return work, calls


@pytest.mark.django_db(transaction=True)
def test_a_locked_database_and_a_deadlock_are_retried_then_succeed():
    locked = OperationalError("database is locked")
    deadlock = OperationalError("deadlock detected")
    deadlock.__cause__ = Deadlock()
    work, calls = flaky([locked, deadlock])
    assert atomic_retry(work) == "done"
    assert len(calls) == 3


@pytest.mark.django_db(transaction=True)
def test_after_the_last_attempt_the_caller_gets_busy_not_a_500():
    work, calls = flaky([OperationalError("database is locked")] * 3)
    with pytest.raises(Busy) as err:
        atomic_retry(work, attempts=3)
    assert (err.value.code, err.value.status, len(calls)) == ("busy_retry_later", 503, 3)


@pytest.mark.django_db(transaction=True)
def test_other_errors_are_not_retried():
    work, calls = flaky([ValidationFailed("no", code="refused")])
    with pytest.raises(ValidationFailed):
        atomic_retry(work)
    assert len(calls) == 1
    assert not is_retryable(OperationalError("no such table: x"))


@pytest.mark.django_db
def test_inside_a_transaction_only_retry_transaction_is_retried_in_a_savepoint():
    work, calls = flaky([RetryTransaction()])
    with transaction.atomic():
        assert atomic_retry(work) == "done"
    assert len(calls) == 2
    work, calls = flaky([OperationalError("database is locked")])
    with pytest.raises(OperationalError), transaction.atomic():
        atomic_retry(work)
    assert len(calls) == 1
