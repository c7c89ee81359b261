"""Request ids, the JSON request line (no personal data), and the Prometheus metrics."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.db import OperationalError, transaction
from django.test import Client
from prometheus_client import REGISTRY

from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.errors import DomainError
from huiyuan.core.jsonlog import REQUEST_ID, JsonFormatter
from huiyuan.core.metrics import retry_reason
from huiyuan.core.permissions import Role
from huiyuan.core.retry import Busy, RetryTransaction, atomic_retry
from huiyuan.jobs.tasks import expire_lots
from huiyuan.ledger.tests.factories import card, key
from huiyuan.wallet.services import wallet_recharge

MOBILE = "13812345678"


def sample(metric: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(metric, labels) or 0.0


# ------------------------------------------------------------------ request id and log


def test_request_id_is_made_or_taken_and_echoed(client, db):
    made = client.get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/healthz")["X-Request-ID"] != made
    assert client.get("/healthz", HTTP_X_REQUEST_ID="pos-7.abc_1")["X-Request-ID"] == "pos-7.abc_1"
    for bad in ("has space", "x" * 65, f"{MOBILE}\n"):
        echoed = client.get("/healthz", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert echoed != bad and re.fullmatch(r"[0-9a-f]{32}", echoed)


def test_the_request_line_names_ids_not_people_and_drops_the_query(db, staff, caplog):
    cashier = staff[Role.CASHIER]
    client = Client()
    client.force_login(cashier)
    session = client.session
    session["store_id"] = cashier.default_store_id
    session.save()
    caplog.set_level(logging.INFO, logger="huiyuan.request")

    response = client.get(
        f"/api/v1/cards/by-number/8800123456?mobile={MOBILE}", HTTP_X_REQUEST_ID="req-1"
    )

    (record,) = [r for r in caplog.records if r.name == "huiyuan.request"]
    line = json.loads(JsonFormatter().format(record))
    assert line == {
        "time": line["time"],
        "level": "INFO",
        "logger": "huiyuan.request",
        "message": f"GET /api/v1/cards/by-number/[redacted] {response.status_code} "
        f"{line['duration_ms']:.1f} ms",
        "request_id": "req-1",
        "actor": f"staff:{cashier.pk}",
        "store_id": cashier.default_store_id,
        "method": "GET",
        "path": "/api/v1/cards/by-number/[redacted]",
        "route": "api:card_by_number",
        "status": response.status_code,
        "duration_ms": line["duration_ms"],
    }
    text = JsonFormatter().format(record)
    assert MOBILE not in text and "8800123456" not in text and "?" not in text
    assert cashier.username not in text and cashier.display_name not in text


def test_djangos_own_error_line_carries_the_request_id(client, db, caplog):
    caplog.set_level(logging.INFO)
    response = client.get("/api/v1/members/1", HTTP_X_REQUEST_ID="req-401")
    assert response.status_code == 401
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert json.loads(JsonFormatter().format(record))["request_id"] == "req-401"
    # Once the response is closed, later lines carry no request id.
    assert REQUEST_ID.get() is None


def test_a_terminal_is_logged_by_its_id(db, terminal, owner, caplog):
    from huiyuan.stores.services import api_key_create

    _, api_key = api_key_create(actor=owner, terminal_id=terminal.pk, name="POS", role=Role.CASHIER)
    caplog.set_level(logging.INFO, logger="huiyuan.request")
    Client().get("/api/v1/members/999999", HTTP_AUTHORIZATION=f"Bearer {api_key}")
    (record,) = [r for r in caplog.records if r.name == "huiyuan.request"]
    assert (record.actor, record.store_id) == (f"terminal:{terminal.pk}", terminal.store_id)
    assert record.route == "api:member_detail" and record.status == 404


def test_json_lines_carry_the_request_id_and_stay_redacted():
    formatter = JsonFormatter()
    token = REQUEST_ID.set("abc")
    try:
        record = logging.getLogger("x").makeRecord(
            "x",
            logging.WARNING,
            __file__,
            1,
            "member %s",
            (MOBILE,),
            None,
            extra={"path": f"/search?q={MOBILE}"},
        )
    finally:
        REQUEST_ID.reset(token)
    line = json.loads(formatter.format(record))  # formatted later: the id stays
    assert line["request_id"] == "abc"
    assert line["message"] == "member [mobile]"
    assert line["path"] == "/search?q=[redacted]"
    try:
        raise ValueError(f"bad id 11010519491231002X for {MOBILE}")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "boom", (), __import__("sys").exc_info()
        )
    text = formatter.format(record)
    assert "11010519491231002X" not in text and MOBILE not in text
    assert "[id-number]" in json.loads(text)["exception"]


# ------------------------------------------------------------------ /metrics


def test_metrics_from_this_machine_or_with_the_token(client, db, settings):
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'huiyuan_http_requests_total{method="GET",route="healthz",status="200"}' in body
    assert (
        'huiyuan_http_request_duration_seconds_bucket{le="0.005",method="GET",route="healthz"}'
        in body
    )

    # Through a proxy on this machine, or from elsewhere: refused without the token.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    settings.METRICS_TOKEN = "scrape-token-0123456789"
    assert (
        client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer nope").status_code
        == 403
    )
    assert (
        client.get(
            "/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789"
        ).status_code
        == 200
    )


def test_request_counter_counts_by_route_method_and_status(client, db):
    labels = {"route": "readyz", "method": "GET", "status": "200"}
    before = sample("huiyuan_http_requests_total", **labels)
    client.get("/readyz")
    client.get("/readyz")
    assert sample("huiyuan_http_requests_total", **labels) == before + 2
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    before = sample("huiyuan_http_requests_total", **unmatched)
    client.get("/no/such/page/13812345678")
    assert sample("huiyuan_http_requests_total", **unmatched) == before + 1


def test_sales_are_counted_when_they_commit_once(
    cashier, owner, django_capture_on_commit_callbacks
):
    c = card(cashier, owner)
    wallet_recharge(
        actor=cashier, card_id=c.pk, amount_fen=1_000, method="cash", idempotency_key=key()
    )
    before = sample("huiyuan_sales_completed_total")
    sale_key = key()
    with django_capture_on_commit_callbacks(execute=True):
        sale_quick(
            actor=cashier,
            data=QuickSaleInput(amount_fen=600, card_id=c.pk, balance_fen=600),
            idempotency_key=sale_key,
        )
    assert sample("huiyuan_sales_completed_total") == before + 1
    assert sample("huiyuan_domain_events_total", name="sale.completed") >= 1

    with django_capture_on_commit_callbacks(execute=True):  # a replay: the first result
        sale_quick(
            actor=cashier,
            data=QuickSaleInput(amount_fen=600, card_id=c.pk, balance_fen=600),
            idempotency_key=sale_key,
        )
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError):
        sale_quick(  # refused: ¥4 left
            actor=cashier,
            data=QuickSaleInput(amount_fen=600, card_id=c.pk, balance_fen=600),
            idempotency_key=key(),
        )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # never committed
        sale_quick(
            actor=cashier,
            data=QuickSaleInput(amount_fen=100, card_id=c.pk, balance_fen=100),
            idempotency_key=key(),
        )
    assert callbacks  # waiting for a commit that this test never makes
    assert sample("huiyuan_sales_completed_total") == before + 1


def test_retries_and_give_ups_are_counted(db):
    before = sample("huiyuan_transaction_retries_total", reason="requested")
    busy_before = sample("huiyuan_transaction_busy_total")
    calls = []

    def work() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise RetryTransaction()
        return "done"

    assert atomic_retry(work) == "done"
    assert sample("huiyuan_transaction_retries_total", reason="requested") == before + 2

    def always() -> None:
        raise RetryTransaction()

    with pytest.raises(Busy):
        atomic_retry(always, attempts=2)
    assert sample("huiyuan_transaction_busy_total") == busy_before + 1


def test_retry_reasons():
    class PgError(Exception):
        def __init__(self, sqlstate: str) -> None:
            self.sqlstate = sqlstate

    assert retry_reason(PgError("40P01")) == "deadlock"
    assert retry_reason(PgError("40001")) == "serialization"
    assert retry_reason(OperationalError("database is locked")) == "sqlite_busy"
    wrapped = OperationalError("outer")
    wrapped.__cause__ = PgError("40P01")
    assert retry_reason(wrapped) == "deadlock"
    assert retry_reason(RetryTransaction()) == "requested"


@pytest.mark.django_db(transaction=True)
def test_task_queue_depth_is_read_when_scraped(client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with transaction.atomic():
        expire_lots.enqueue()
        expire_lots.enqueue()
    body = client.get("/metrics").content.decode()
    assert 'huiyuan_task_queue_depth{queue="default"} 2.0' in body
    assert "huiyuan_tasks_running 0.0" in body
