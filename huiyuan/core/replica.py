"""Reads for reports from a streaming replica (ARCHITECTURE "Growing past one machine").

With ``DATABASE_REPLICA_URL`` set, a ``replica`` database exists, and every read made
inside ``on_replica`` (a decorator or a context manager) goes there: reports, analytics,
exports. Nothing else does — money paths, counter pages and every write use ``default``,
so a replica's lag never decides a balance. Without a replica ``on_replica`` does nothing.

A report on the replica may be up to the replica's lag behind (seconds); a report that
must include the sale just made reads ``default`` (do not wrap it). Inside a transaction
on ``default`` reads stay there, so a service that reads what it just wrote is never sent
to the replica.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import connections

P = ParamSpec("P")
R = TypeVar("R")
REPLICA = "replica"

_reading: ContextVar[bool] = ContextVar("huiyuan_replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def on_replica(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with its reads on the replica (when there is one)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with replica_reads():
            return func(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    """Reads inside ``replica_reads`` go to the replica; everything else to ``default``."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        if not _reading.get() or not replica_configured():
            return None
        if connections["default"].in_atomic_block:
            return None  # read-your-writes inside a transaction
        return REPLICA

    def db_for_write(self, model: type[Any], **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db == "default"
