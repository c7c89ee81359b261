"""Races with real threads for the PostgreSQL test phase: every side starts at the same
moment (a barrier), each thread on its own database connection.

Used by the race tests of every app that decides under a row lock (cards, stock, count
cards, shifts, coupons…). A side's result is what it returned, the ``code`` of a
``DomainError`` it raised, or ``"crash: …"`` for anything else (tests assert none).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import close_old_connections, connection

from huiyuan.core.errors import DomainError

# The test server's connections are shared with the other test worker: at most this many
# threads (each side runs in turn on its thread when there are more sides).
MAX_THREADS = 20


def race(*sides: Callable[[], object], max_threads: int = MAX_THREADS) -> list[object]:
    """Run every side at once; return their results in order."""
    count = min(len(sides), max_threads)
    barrier = threading.Barrier(count)
    results: list[object] = [None] * len(sides)

    def worker(t: int) -> None:
        try:
            barrier.wait()
            for i in range(t, len(sides), count):
                try:
                    results[i] = sides[i]()
                except DomainError as exc:
                    results[i] = exc.code
                except Exception as exc:  # noqa: BLE001 - the tests assert no crash
                    results[i] = f"crash: {exc!r}"
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return results
