"""The RQ backend (HUIYUAN_TASK_BACKEND=rq): tasks run through Redis exactly as through the
database queue, and with two schedulers and three workers each periodic job of a period
runs exactly once. Needs the Redis server at 127.0.0.1:6379 (databases 9 and 10)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from huiyuan.jobs import scheduler
from huiyuan.jobs.models import ScheduledRun
from huiyuan.ledger.models import IdempotencyKey

ROOT = Path(__file__).resolve().parents[3]
REDIS = "redis://127.0.0.1:6379"


def redis_for(db: int):
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(f"{REDIS}/{db}")
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"no Redis at {REDIS}: {exc}")
    client.flushdb()
    return client


@pytest.fixture
def rq_backend(settings):
    """Tasks go to RQ on Redis database 9 (emptied first)."""
    client = redis_for(9)
    settings.RQ_QUEUES = {"default": {"URL": f"{REDIS}/9"}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    yield client
    client.flushdb()


def test_a_task_goes_through_redis_and_a_worker_runs_it(db, rq_backend, client):
    import django_rq
    from django_tasks.base import TaskResultStatus
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker

    from huiyuan.jobs.tasks import purge_idempotency_keys

    old = IdempotencyKey.objects.create(scope="test", key="old", request_hash="x")
    IdempotencyKey.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=400)
    )
    fresh = IdempotencyKey.objects.create(scope="test", key="fresh", request_hash="y")

    result = purge_idempotency_keys.enqueue()
    queue = django_rq.get_queue("default", job_class=Job)
    assert queue.count == 1  # waiting in Redis, not run inline
    assert IdempotencyKey.objects.filter(pk=old.pk).exists()
    # /metrics reads the depth from Redis.
    assert 'huiyuan_task_queue_depth{queue="default"} 1.0' in client.get("/metrics").text

    SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {"purged": 1}
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert queue.count == 0
    assert 'huiyuan_task_queue_depth{queue="default"} 0.0' in client.get("/metrics").text


def run_all(commands: list[list[str]], env: dict[str, str]) -> list[subprocess.CompletedProcess]:
    procs = [
        subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for cmd in commands
    ]
    done = []
    for cmd, proc in zip(commands, procs, strict=True):
        out, err = proc.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(cmd, proc.returncode, out, err))
    return done


@pytest.mark.postgres
def test_two_schedulers_and_three_workers_run_each_job_once(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("several processes on one database: PostgreSQL")
    client = redis_for(10)
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}",
        HUIYUAN_TASK_BACKEND="rq",
        HUIYUAN_REDIS_URL=f"{REDIS}/10",
        HUIYUAN_TASKS_IMMEDIATE="0",
        PYTHONPATH=str(ROOT),
    )
    cli = [sys.executable, "-m", "huiyuan.cli"]

    schedulers = run_all([[*cli, "scheduler", "--once"]] * 2, env)
    for done in schedulers:
        assert done.returncode == 0, done.stderr[-2000:]
    enqueued = [
        line.removeprefix("enqueued ")
        for done in schedulers
        for line in done.stdout.splitlines()
        if line.startswith("enqueued ")
    ]
    names = sorted(job.name for job in scheduler.JOBS)
    # Between them the two schedulers enqueued every job once: each period is claimed once.
    assert sorted(enqueued) == names
    assert sorted(ScheduledRun.objects.values_list("job", flat=True)) == names

    workers = run_all([[*cli, "worker", "--batch"]] * 3, env)
    for done in workers:
        assert done.returncode == 0, done.stderr[-2000:]

    from rq import Queue
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    queue = Queue("default", connection=client)
    assert queue.count == 0
    assert FailedJobRegistry(queue=queue).count == 0
    finished = FinishedJobRegistry(queue=queue).get_job_ids()
    assert len(finished) == len(names)  # each job ran once, by one of the three workers
    ran = sorted(queue.fetch_job(job_id).func_name.rsplit(".", 1)[1] for job_id in finished)
    assert ran == sorted(job.task.name for job in scheduler.JOBS)

    # A second round of both schedulers in the same period enqueues nothing.
    again = run_all([[*cli, "scheduler", "--once"]] * 2, env)
    assert [line for done in again for line in done.stdout.splitlines()] == []
    assert queue.count == 0
    client.flushdb()
