"""``/readyz``: database, pending migrations, the worker and scheduler this node runs, Redis.
``/healthz`` stays a cheap liveness check."""

from __future__ import annotations

import json
import os
import socket
import time

import pytest
from django.db.migrations.recorder import MigrationRecorder

from huiyuan.core import readiness
from huiyuan.core.readiness import heartbeat_write, supervisor_write


@pytest.fixture(autouse=True)
def _run_dir(settings, tmp_path):
    settings.RUN_DIR = tmp_path
    settings.READY_BACKGROUND = []
    settings.REDIS_URL = ""
    readiness._NO_PENDING_UNTIL = 0.0
    yield
    readiness._NO_PENDING_UNTIL = 0.0


def get(client, path="/readyz"):
    response = client.get(path)
    return response.status_code, json.loads(response.content)


def test_ready_when_the_database_answers_and_nothing_is_pending(client, db):
    assert get(client) == (
        200,
        {
            "status": "ok",
            "checks": {
                "database": {"ok": True, "vendor": readiness.connection.vendor},
                "migrations": {"ok": True, "pending": 0},
            },
        },
    )
    status, body = get(client, "/healthz")
    assert status == 200 and body["status"] == "ok"


def test_a_pending_migration_makes_the_node_unready(client, db):
    latest = MigrationRecorder.Migration.objects.filter(app="ledger").order_by("-name").first()
    latest.delete()
    status, body = get(client)
    assert status == 503 and body["status"] == "unavailable"
    assert body["checks"]["migrations"] == {
        "ok": False,
        "pending": 1,
        "migrations": [f"ledger.{latest.name}"],
    }


def test_worker_and_scheduler_heartbeats(client, db, settings, tmp_path):
    settings.READY_BACKGROUND = ["worker", "scheduler"]
    status, body = get(client)
    assert status == 503
    assert body["checks"]["worker"] == {"ok": False, "error": "no heartbeat"}

    now = time.time()
    heartbeat_write("worker", now=now - 2)
    heartbeat_write("scheduler", now=now - settings.HEARTBEAT_STALE_SECONDS - 5)
    status, body = get(client)
    assert status == 503
    worker, scheduler = body["checks"]["worker"], body["checks"]["scheduler"]
    assert worker["ok"] is True and worker["pid"] == os.getpid()
    assert 1.5 <= worker["age_seconds"] <= 10
    assert scheduler == {
        "ok": False,
        "error": "heartbeat stale",
        "pid": os.getpid(),
        "age_seconds": scheduler["age_seconds"],
    }

    heartbeat_write("scheduler")
    status, body = get(client)
    assert status == 200 and body["checks"]["scheduler"]["ok"] is True


def test_the_supervisor_state_wins_over_a_fresh_heartbeat(client, db, settings):
    """A killed worker's last heartbeat stays fresh for a while: while ``huiyuan serve``
    waits to restart it, or until the new process beats, the node is not ready."""
    settings.READY_BACKGROUND = ["worker", "scheduler"]
    heartbeat_write("worker")
    heartbeat_write("scheduler")
    children = {
        "worker": {"pid": os.getpid(), "state": "running", "restarts": 3, "last_exit": -9},
        "scheduler": {"pid": os.getpid(), "state": "running", "restarts": 0, "last_exit": None},
    }
    supervisor_write({"children": children})
    status, body = get(client)
    assert status == 200
    assert body["checks"]["worker"]["restarts"] == 3
    assert body["checks"]["worker"]["last_exit"] == -9

    children["worker"]["state"] = "backoff"
    supervisor_write({"children": children})
    status, body = get(client)
    assert status == 503
    assert body["checks"]["worker"]["error"] == "restarting"

    children["worker"].update(state="running", pid=os.getpid() + 1)  # not beating yet
    supervisor_write({"children": children})
    status, body = get(client)
    assert status == 503 and body["checks"]["worker"]["error"] == "starting"


def test_the_heartbeat_thread_beats(settings, tmp_path):
    thread = readiness.heartbeat_start("worker", interval=0.05)
    deadline = time.time() + 5
    while not readiness.heartbeat_path("worker").exists() and time.time() < deadline:
        time.sleep(0.02)
    first = json.loads(readiness.heartbeat_path("worker").read_text())
    time.sleep(0.2)
    second = json.loads(readiness.heartbeat_path("worker").read_text())
    assert thread.daemon and second["at"] > first["at"] and second["role"] == "worker"


REDIS = "redis://127.0.0.1:6379/0"


def test_redis_when_configured(client, db, settings):
    try:
        readiness.redis_ping(REDIS)
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"no Redis at {REDIS}: {exc}")
    settings.REDIS_URL = REDIS
    status, body = get(client)
    assert status == 200 and body["checks"]["redis"] == {"ok": True}

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    settings.REDIS_URL = f"redis://127.0.0.1:{free}/0"
    status, body = get(client)
    assert status == 503
    assert body["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}


def test_the_rq_backend_needs_redis_even_without_a_cache_url(client, db, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    settings.REDIS_URL = ""
    settings.TASK_BACKEND = "rq"
    settings.RQ_QUEUES = {"default": {"URL": f"redis://127.0.0.1:{free}/0"}}
    status, body = get(client)
    assert status == 503
    assert body["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}
