"""Readiness (``/readyz``) and the heartbeats of the background processes.

``/healthz`` says the process answers (liveness). ``/readyz`` says this node can do its
work: the database answers, no migration is pending, the worker and scheduler that this
node runs are alive (``settings.READY_BACKGROUND``, which ``huiyuan serve`` sets for the
ones it supervises), and Redis answers when one is configured.

A background process proves it is alive with a heartbeat: a small JSON file
``<RUN_DIR>/heartbeat-<role>.json`` rewritten every few seconds by a thread of the process
(``heartbeat_start``, called by ``huiyuan worker`` and ``huiyuan scheduler``). A file, not a
row: on SQLite a row written every few seconds would compete with the counter for the one
write lock. The heartbeat is stale after ``HEARTBEAT_STALE_SECONDS``; a process that dies
stops beating. ``huiyuan serve`` also writes ``supervisor.json`` (each child's pid,
restarts, last exit) which ``/readyz`` shows beside the heartbeats.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

HEARTBEAT_SECONDS = 5.0
SUPERVISOR_FILE = "supervisor.json"


def run_dir() -> Path:
    return Path(settings.RUN_DIR)


def heartbeat_path(role: str, directory: Path | None = None) -> Path:
    return (directory or run_dir()) / f"heartbeat-{role}.json"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` so that a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(data, sort_keys=True))
    partial.replace(path)


def heartbeat_write(role: str, *, now: float | None = None, directory: Path | None = None) -> None:
    _write_json(
        heartbeat_path(role, directory),
        {"role": role, "pid": os.getpid(), "at": time.time() if now is None else now},
    )


def heartbeat_start(role: str, *, interval: float = HEARTBEAT_SECONDS) -> threading.Thread:
    """Beat for ``role`` every ``interval`` seconds from a daemon thread, as long as the
    process lives."""
    directory = run_dir()

    def beat() -> None:
        while True:
            try:
                heartbeat_write(role, directory=directory)
            except OSError:
                pass  # a full or read-only disk shows as a stale heartbeat
            time.sleep(interval)

    thread = threading.Thread(target=beat, name=f"heartbeat-{role}", daemon=True)
    thread.start()
    return thread


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def supervisor_write(state: dict[str, Any], directory: Path | None = None) -> None:
    _write_json((directory or run_dir()) / SUPERVISOR_FILE, state)


def supervisor_read(directory: Path | None = None) -> dict[str, Any]:
    return _read_json((directory or run_dir()) / SUPERVISOR_FILE) or {}


def background_status(role: str, *, now: float | None = None) -> dict[str, Any]:
    """``{"ok", "age_seconds", "pid", "restarts", "state"}`` for one background process."""
    now = time.time() if now is None else now
    beat = _read_json(heartbeat_path(role))
    status: dict[str, Any] = {"ok": False}
    if beat is None:
        status["error"] = "no heartbeat"
    else:
        age = now - float(beat.get("at", 0))
        status.update(age_seconds=round(age, 1), pid=beat.get("pid"))
        status["ok"] = age <= settings.HEARTBEAT_STALE_SECONDS
        if not status["ok"]:
            status["error"] = "heartbeat stale"
    child = supervisor_read().get("children", {}).get(role)
    if child:
        status.update(restarts=child.get("restarts", 0), state=child.get("state"))
        if child.get("last_exit") is not None:
            status["last_exit"] = child["last_exit"]
        # A heartbeat outlives its process by up to the stale time: trust the supervisor.
        if child.get("state") != "running":
            status.update(ok=False, error="restarting")
        elif beat is not None and beat.get("pid") != child.get("pid"):
            status.update(ok=False, error="starting")
    return status


# ------------------------------------------------------------------------ the checks


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        # The class only: the message may name hosts and users.
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


_NO_PENDING_UNTIL = 0.0
_PENDING_CACHE_SECONDS = 60.0


def check_migrations(*, clock: Callable[[], float] = time.monotonic) -> dict[str, Any]:
    """Migrations of this code not applied to the database. Once none are pending the
    answer is kept for a minute (loading the migration graph costs more than a probe)."""
    global _NO_PENDING_UNTIL
    if clock() < _NO_PENDING_UNTIL:
        return {"ok": True, "pending": 0}
    from django.db.migrations.loader import MigrationLoader

    try:
        loader = MigrationLoader(connection, ignore_no_migrations=True)
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": type(exc).__name__}
    applied = set(loader.applied_migrations or ())
    pending = [f"{app}.{name}" for app, name in sorted(set(loader.graph.nodes) - applied)]
    if not pending:
        _NO_PENDING_UNTIL = clock() + _PENDING_CACHE_SECONDS
        return {"ok": True, "pending": 0}
    return {"ok": False, "pending": len(pending), "migrations": pending[:20]}


def redis_ping(url: str, *, timeout: float = 2.0) -> None:
    """PING Redis at ``url``; raise when it does not answer."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


def check_redis() -> dict[str, Any]:
    try:
        redis_ping(settings.REDIS_URL or str(settings.RQ_QUEUES["default"]["URL"]))
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def readiness() -> tuple[bool, dict[str, Any]]:
    """Every check this node needs, and whether all passed."""
    checks: dict[str, Any] = {"database": check_database()}
    checks["migrations"] = (
        check_migrations() if checks["database"]["ok"] else {"ok": False, "error": "no database"}
    )
    for role in settings.READY_BACKGROUND:
        checks[role] = background_status(role)
    if settings.REDIS_URL or settings.TASK_BACKEND == "rq":
        checks["redis"] = check_redis()
    return all(c["ok"] for c in checks.values()), checks
