"""Prometheus metrics at ``/metrics`` (prometheus-client).

Counted as it happens, in the process where it happens:

- ``huiyuan_http_requests_total{route, method, status}`` and
  ``huiyuan_http_request_duration_seconds{route, method}`` — by the request middleware
  (``huiyuan.core.observability``); ``route`` is the URL's name (``api:member_detail``),
  never the path, so member and card numbers never become labels.
- ``huiyuan_sales_completed_total`` and ``huiyuan_domain_events_total{name}`` — when the
  transaction that wrote the domain event commits (see ``_event_saved``).
- ``huiyuan_transaction_retries_total{reason}`` and ``huiyuan_transaction_busy_total`` —
  each retry of ``atomic_retry`` (deadlock, serialisation failure, SQLite's busy lock) and
  each time it gave up with ``Busy``: lock waits that turned into retries.

Read when scraped (so every node reports the same, whatever process answers):

- ``huiyuan_task_queue_depth{queue}`` — background tasks waiting (django-tasks' database
  backend), ``huiyuan_tasks_running``.
- ``huiyuan_background_up{role}`` and ``huiyuan_background_restarts_total{role}`` — the
  worker and scheduler supervised by ``huiyuan serve`` (heartbeats, ``supervisor.json``).

Several processes: gunicorn runs several workers, each with its own counters. ``huiyuan
serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` for all its children (wiped at each start), and
the scrape adds up the files there (prometheus_client's multiprocess mode). Without it
(``runserver``, tests) a scrape sees the answering process only.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

log = logging.getLogger(__name__)

REQUESTS = Counter(
    "huiyuan_http_requests", "HTTP requests answered.", ["route", "method", "status"]
)
LATENCY = Histogram(
    "huiyuan_http_request_duration_seconds",
    "Time to answer an HTTP request (to the first byte of a streamed one).",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SALES = Counter("huiyuan_sales_completed", "Sales committed (sale.completed events).")
EVENTS = Counter("huiyuan_domain_events", "Domain events committed, by name.", ["name"])
RETRIES = Counter(
    "huiyuan_transaction_retries",
    "Transactions run again by atomic_retry (lock waits that ended in a retry).",
    ["reason"],
)
BUSY = Counter(
    "huiyuan_transaction_busy", "Transactions that gave up after every retry (503 busy)."
)


def request_observed(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


def retry_reason(exc: BaseException) -> str:
    """``deadlock``, ``serialization``, ``sqlite_busy`` or ``requested`` (RetryTransaction)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        code = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if code == "40P01":
            return "deadlock"
        if code == "40001":
            return "serialization"
        if "locked" in str(current).lower():
            return "sqlite_busy"
        current = current.__cause__ or current.__context__
    return "requested"


def transaction_retried(exc: BaseException) -> None:
    RETRIES.labels(retry_reason(exc)).inc()


def transaction_gave_up() -> None:
    BUSY.inc()


# ------------------------------------------------------------------ committed events


def _event_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Count a domain event when its transaction commits (never for a rollback, a retried
    attempt or an idempotent replay, which writes no event).

    A model signal rather than a subscriber: a subscriber would make every sale enqueue a
    dispatch and write a delivery row (the checkout pays one INSERT for an event nobody
    subscribes to), and would count in the worker instead of where the sale was made.
    Metrics are not business logic; nothing else hangs on this signal.
    """
    if not created:
        return
    name = instance.name
    using = kwargs.get("using")

    def count() -> None:
        EVENTS.labels(name).inc()
        if name == "sale.completed":
            SALES.inc()

    transaction.on_commit(count, using=using)


def install() -> None:
    """Connect the event counter (``CoreConfig.ready``); idempotent."""
    post_save.connect(
        _event_saved, sender="events.OutboxEvent", dispatch_uid="huiyuan.metrics.events"
    )


# ------------------------------------------------------------------ read at scrape time


class ScrapeCollector:
    """Gauges read from the database and the run directory when scraped."""

    def collect(self) -> Iterator[Metric]:
        yield from self._queue()
        yield from self._background()

    def _queue(self) -> Iterator[Metric]:
        backend = settings.TASKS.get("default", {}).get("BACKEND", "")
        if backend.startswith("django_tasks_rq"):
            yield from self._rq_queue()
            return
        if not backend.startswith("django_tasks_db"):
            return
        from django.db.models import Count
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        depth = GaugeMetricFamily(
            "huiyuan_task_queue_depth", "Background tasks waiting to run.", labels=["queue"]
        )
        running = GaugeMetricFamily("huiyuan_tasks_running", "Background tasks running now.")
        try:
            rows = (
                DBTaskResult.objects.filter(status=TaskResultStatus.READY)
                .values("queue_name")
                .annotate(n=Count("id"))
            )
            queues = {row["queue_name"]: row["n"] for row in rows}
            queues.setdefault("default", 0)
            busy = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count()
        except Exception:  # a scrape reports what it can
            log.warning("task queue depth unavailable", exc_info=True)
            return
        for queue, n in sorted(queues.items()):
            depth.add_metric([queue], n)
        running.add_metric([], busy)
        yield depth
        yield running

    def _rq_queue(self) -> Iterator[Metric]:
        """The same two gauges from RQ: jobs waiting in each queue, jobs started."""
        import django_rq

        depth = GaugeMetricFamily(
            "huiyuan_task_queue_depth", "Background tasks waiting to run.", labels=["queue"]
        )
        running = GaugeMetricFamily("huiyuan_tasks_running", "Background tasks running now.")
        try:
            busy = 0
            for name in settings.RQ_QUEUES:
                queue = django_rq.get_queue(name)
                depth.add_metric([name], queue.count)
                busy += queue.started_job_registry.count
        except Exception:  # a scrape reports what it can
            log.warning("task queue depth unavailable", exc_info=True)
            return
        running.add_metric([], busy)
        yield depth
        yield running

    def _background(self) -> Iterator[Metric]:
        from huiyuan.core.readiness import background_status, supervisor_read

        roles = sorted(set(settings.READY_BACKGROUND) | set(supervisor_read().get("children", {})))
        if not roles:
            return
        up = GaugeMetricFamily(
            "huiyuan_background_up", "Worker/scheduler heartbeat fresh (1) or not.", labels=["role"]
        )
        restarts = CounterMetricFamily(
            "huiyuan_background_restarts",
            "Restarts of a worker/scheduler by huiyuan serve.",
            labels=["role"],
        )
        for role in roles:
            status = background_status(role)
            up.add_metric([role], 1 if status["ok"] else 0)
            restarts.add_metric([role], status.get("restarts", 0))
        yield up
        yield restarts


class _Forward:
    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterable[Metric]:
        return self.source.collect()


def exposition() -> bytes:
    """The text a scrape gets: every process's counters, and the gauges read now."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Forward(REGISTRY))  # type: ignore[arg-type]
    registry.register(ScrapeCollector())  # type: ignore[arg-type]
    return generate_latest(registry)
