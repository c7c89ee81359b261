"""Crash safety under load: checkouts through the HTTP API while web workers are killed.

Starts the production server (``huiyuan serve --no-background``, gunicorn with several
workers, as ``bench/checkout.py`` does) on a fresh database, runs client threads that POST
``/api/v1/sales`` (each with its own ``Idempotency-Key``), and SIGKILLs a random gunicorn
worker every ``--kill-every`` seconds for ``--seconds``; gunicorn starts a new one. Then:

1. every request that got no answer (connection reset by the kill, 5xx) is sent again
   with the same key and body until it gets a definite answer;
2. in-process checks: every key answered ``201`` has exactly one sale (its stored result),
   no sale exists without a key, every sale has its lines and (on a card) its ledger
   operation — nothing half-written — and ``verify-ledger`` is clean.

Prints one JSON line: ``{"acknowledged": n, "retried": n, "kills": n, "sales": n,
"problems": [...]}``. ``huiyuan/checkout/tests/test_crash_safety.py`` runs it on SQLite
and PostgreSQL and asserts no problems. By hand::

    .venv/bin/python bench/crash.py --database sqlite --seconds 20
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_checkout", ROOT / "bench" / "checkout.py")
assert _spec and _spec.loader
checkout_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(checkout_bench)
DB = "huiyuan_crash"


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _workers(server_pid: int) -> list[int]:
    """The gunicorn workers: the leaves under the server process."""
    below = _descendants(server_pid)
    return [p for p in below if not _descendants(p)]


class Load:
    def __init__(self, port: int, info: dict[str, Any]) -> None:
        self.port, self.info = port, info
        self.acknowledged: dict[str, int] = {}  # key → sale id
        self.refused: dict[str, str] = {}  # key → error code (a definite 4xx)
        self.unanswered: dict[str, bytes] = {}  # key → body, to send again
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def post(self, key: str, body: bytes) -> tuple[int, dict[str, Any]] | None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(
                "POST",
                "/api/v1/sales",
                body=body,
                headers={
                    "X-API-Key": self.info["key"],
                    "Content-Type": "application/json",
                    "Idempotency-Key": key,
                },
            )
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            return None
        finally:
            conn.close()
        try:
            data = json.loads(payload)
        except ValueError:
            data = {}
        return response.status, data

    def record(self, key: str, body: bytes, answer: tuple[int, dict[str, Any]] | None) -> None:
        with self.lock:
            if answer is None or answer[0] >= 500:
                self.unanswered[key] = body
                return
            self.unanswered.pop(key, None)
            status, data = answer
            if status == 201:
                self.acknowledged[key] = int(data["id"])
            else:
                self.refused[key] = str(data.get("error", {}).get("code", status))

    def client(self, seed: int) -> None:
        rng = random.Random(seed)
        while not self.stop.is_set():
            basket = checkout_bench._basket(
                rng.choice(self.info["cards"]), rng.sample(self.info["products"], 3)
            )
            body, key = json.dumps(basket).encode(), uuid.uuid4().hex
            self.record(key, body, self.post(key, body))


def run(database: str, seconds: float, kill_every: float, clients: int, pg_url: str) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="huiyuan-crash-"))
    if database == "sqlite":
        env = {"DATABASE_URL": f"sqlite:///{tmp / 'crash.sqlite3'}"}
    else:
        checkout_bench._recreate(pg_url, DB)
        env = {"DATABASE_URL": checkout_bench._url(pg_url, DB)}
    info = checkout_bench.prepare(env, cards=20)
    port = checkout_bench._free_port()
    server = checkout_bench.serve(env, port, tmp / "server.log")
    load, kills = Load(port, info), 0
    try:
        threads = [threading.Thread(target=load.client, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + seconds
        time.sleep(min(2.0, kill_every))
        while time.monotonic() < deadline:
            workers = _workers(server.pid)
            if workers:
                os.kill(random.choice(workers), signal.SIGKILL)
                kills += 1
            time.sleep(kill_every)
        load.stop.set()
        for t in threads:
            t.join()
        retried = len(load.unanswered)
        for _attempt in range(20):  # the same key and body until a definite answer
            if not load.unanswered:
                break
            time.sleep(1.0)
            for key, body in list(load.unanswered.items()):
                load.record(key, body, load.post(key, body))
    finally:
        checkout_bench.stop(server)
    problems = check(load)
    from django.db import connections

    connections.close_all()
    if database == "postgres":
        checkout_bench._drop(pg_url, DB)
    shutil.rmtree(tmp, ignore_errors=True)
    return {
        "acknowledged": len(load.acknowledged),
        "refused": len(load.refused),
        "retried": retried,
        "kills": kills,
        "problems": problems,
    }


def check(load: Load) -> list[str]:
    from django.db.models import Count

    from huiyuan.checkout.models import Sale
    from huiyuan.ledger.models import IdempotencyKey
    from huiyuan.ledger.verify import verify_ledger

    problems = [f"never answered: {key}" for key in load.unanswered]
    keys = dict(IdempotencyKey.objects.filter(kind="sale").values_list("key", "result_id"))
    for key, sale_id in load.acknowledged.items():
        if keys.get(key) != sale_id:
            problems.append(f"acknowledged {key} as sale {sale_id}, stored {keys.get(key)}")
    for key in load.refused:
        if key in keys:
            problems.append(f"refused {key} but a sale was stored")
    if len(set(keys.values())) != len(keys):
        problems.append("one sale stored as the result of two keys")
    known = set(keys.values())
    for sale in Sale.objects.annotate(n=Count("lines")):
        if sale.pk not in known:
            problems.append(f"sale {sale.pk} has no idempotency key")
        if sale.n == 0:
            problems.append(f"sale {sale.pk} has no lines")
        if sale.card_id is not None and sale.operation_id is None and sale.paid_principal_fen:
            problems.append(f"sale {sale.pk} paid from a card without a ledger operation")
    report = verify_ledger()
    problems.extend(f"verify-ledger: {p}" for p in report.problems)
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="sqlite")
    parser.add_argument("--pg-url", default=checkout_bench.ADMIN_URL)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--kill-every", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    result = run(args.database, args.seconds, args.kill_every, args.clients, args.pg_url)
    print(json.dumps(result))
    sys.exit(1 if result["problems"] else 0)


if __name__ == "__main__":
    main()
