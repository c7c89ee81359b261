"""Retry, don't 500: run a unit of work in one transaction, again if the database says so.

PostgreSQL aborts one of two transactions that deadlock (``40P01``) or that cannot be
serialised (``40001``); SQLite answers ``database is locked`` when its busy timeout runs
out. Neither is the client's fault and neither left anything behind (the transaction was
rolled back), so the whole transaction runs again — safe because every write we retry is
idempotent (an idempotency key, or a decision re-made under the lock). After
``attempts`` tries the error goes up as ``Busy`` (a 503 with a stable code), never a 500.

Only the outermost transaction is retried on database errors: inside an enclosing
``atomic`` block the work runs in a savepoint, is retried only on ``RetryTransaction``,
and the enclosing caller's retry covers the rest.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError, IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from huiyuan.core import metrics
from huiyuan.core.errors import DomainError

T = TypeVar("T")
log = logging.getLogger(__name__)

RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure
DEFAULT_ATTEMPTS = 5


class Busy(DomainError):
    status = 503
    code = "busy_retry_later"

    def __init__(self) -> None:
        super().__init__(_("The system is busy; please try again in a moment."))


class RetryTransaction(Exception):
    """Raise inside a retried transaction to have it rolled back and run again
    (e.g. a randomly drawn receipt number collided)."""


def is_retryable(exc: BaseException) -> bool:
    """Deadlock, serialisation failure, or SQLite's busy lock — anywhere in the chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, RetryTransaction):
            return True
        if getattr(current, "sqlstate", None) in RETRYABLE_SQLSTATES:
            return True
        if getattr(current, "pgcode", None) in RETRYABLE_SQLSTATES:
            return True
        if isinstance(current, DatabaseError) and not isinstance(current, IntegrityError):
            text = str(current).lower()
            if "database is locked" in text or "database table is locked" in text:
                return True
        current = current.__cause__ or current.__context__
    return False


def atomic_retry(work: Callable[[], T], *, attempts: int = DEFAULT_ATTEMPTS) -> T:
    """Run ``work`` in a transaction; on a retryable database error run it again.

    Backs off a few milliseconds (with jitter) between attempts so two colliding
    transactions do not collide again in lock step.
    """
    nested = transaction.get_connection().in_atomic_block
    for attempt in range(1, attempts + 1):
        if nested:
            # A savepoint: a refusal undoes this work, not the caller's. Only our own
            # RetryTransaction is retried here; database errors go up to the outermost.
            try:
                with transaction.atomic():
                    return work()
            except RetryTransaction as exc:
                if attempt == attempts:
                    metrics.transaction_gave_up()
                    raise Busy() from None
                metrics.transaction_retried(exc)
                continue
        try:
            with transaction.atomic():
                return work()
        except (DatabaseError, RetryTransaction) as exc:
            if not is_retryable(exc):
                raise
            log.warning("transaction retried (attempt %s of %s): %s", attempt, attempts, type(exc))
            if attempt == attempts:
                metrics.transaction_gave_up()
                raise Busy() from exc
            metrics.transaction_retried(exc)
            time.sleep(random.uniform(0.005, 0.02) * attempt)
    raise AssertionError("unreachable")
