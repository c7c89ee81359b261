"""Benchmark: full basket checkouts through the HTTP API, next to pgbench's TPC-B.

Starts the production server as ``huiyuan serve --no-background`` does (gunicorn,
``--workers 4``, 4 threads each, on a free port) against a fresh database, loads a small
catalog (20 products with barcodes), ``--cards`` member cards holding ¥1,000 each, a
terminal and its API key, then runs ``--clients`` client processes for ``--seconds``:
each one POSTs ``/api/v1/sales`` over a kept-alive connection with its own
``Idempotency-Key`` — three lines scanned by barcode, on a random card, ¥5 paid from the
card's stored value and the rest in cash — and records each request's latency after a
short ``--warmup`` (workers loading their code and caches). It also prints the statements
one checkout request issues (counted in-process) and the CPU the server and PostgreSQL
spend per checkout.

Then, for scale, pgbench's built-in TPC-B (``pgbench -i -s 10``, then ``-c N -T S``)
with the same number of clients on the same PostgreSQL server. The last line is::

    checkout_tps=… pgbench_tps=… ratio=… p50_ms=… p99_ms=…

Examples::

    .venv/bin/python bench/checkout.py --clients 4 --seconds 10
    .venv/bin/python bench/checkout.py --clients 4 --seconds 10 --database sqlite

The databases ``huiyuan_bench_checkout`` and ``huiyuan_bench_pgbench`` are dropped and
created, and dropped again at the end; with ``--database sqlite`` the server runs on a
SQLite file in a temporary directory (pgbench still runs on PostgreSQL for the ratio).
The server is stopped and the temporary directory removed however the run ends.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DB = "huiyuan_bench_checkout"
PGBENCH_DB = "huiyuan_bench_pgbench"
PGBENCH = shutil.which("pgbench") or "/usr/bin/pgbench"
WORKERS = 4
PRODUCTS = 20
BALANCE_FEN = 500  # paid from stored value on each sale; the rest in cash


def _url(admin: str, db: str) -> str:
    parsed = urlparse(admin)
    return parsed._replace(path=f"/{db}").geturl()


def _recreate(admin: str, db: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')


def _drop(admin: str, db: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def _setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiyuan.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# ------------------------------------------------------------------------------ set-up


def prepare(env: dict[str, str], cards: int) -> dict[str, Any]:
    """Migrate; create a store, its owner, a terminal with a cashier API key, the catalog
    and ``cards`` cards holding ¥1,000 each. Make one sale in-process to count its
    statements and check the basket's payable (no tier discount, no promotion)."""
    _setup_django(env)
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from huiyuan.cards.services import card_issue, card_type_create
    from huiyuan.catalog.services.products import ProductInput, product_create
    from huiyuan.core.permissions import Actor, Role
    from huiyuan.ledger import services as ledger
    from huiyuan.ledger.models import Account
    from huiyuan.members.services import MemberInput, member_register
    from huiyuan.stores.services import (
        api_key_create,
        staff_create,
        store_create,
        terminal_create,
    )

    call_command("migrate", verbosity=0)
    system = Actor(role=Role.OWNER)
    store = store_create(actor=system, code="B01", name="压测店")
    owner = staff_create(
        actor=system,
        username="bench-owner",
        display_name="压测",
        role="owner",
        password="Bench-pass-2026",
        store_ids=[],
    )
    actor = owner.as_actor(store_id=store.pk)
    terminal = terminal_create(actor=actor, store_id=store.pk, code="POS1", name="收银机一")
    _, key = api_key_create(actor=actor, terminal_id=terminal.pk, name="压测 POS")
    products = []
    for i in range(PRODUCTS):
        product = product_create(
            actor=actor,
            data=ProductInput(
                sku=f"B{i:04d}",
                name=f"压测商品{i}",
                barcode=_ean13(f"69{i:010d}"),
                list_price_fen=1_000 + 150 * i,
            ),
        )
        products.append((product.barcode, product.list_price_fen))
    ctype = card_type_create(actor=actor, code="std", name="普通卡", category="tier")
    funding = ledger.store_account(Account.Kind.STORE_FUNDING, store.pk)
    card_ids = []
    for i in range(cards):
        with transaction.atomic():
            member = member_register(
                actor=actor,
                data=MemberInput(name=f"压测{i}", mobile=f"139{i:08d}"),
                channel="store",
                store_id=store.pk,
            )
            card = card_issue(
                actor=actor, card_type_id=ctype.pk, member_id=member.pk, store_id=store.pk
            )
            principal = ledger.card_accounts(card.pk)[Account.Kind.PRINCIPAL]
            ledger.operation_post(
                actor=actor,
                kind="recharge",
                moves=[
                    ledger.Move(kind="recharge", source=funding, target=principal, amount=100_000)
                ],
                member_id=member.pk,
                card_id=card.pk,
                store_id=store.pk,
            )
        card_ids.append(card.pk)

    # Two sales in-process: the first warms the caches, the second is counted.
    client = Client(HTTP_X_API_KEY=key)
    for card_id in card_ids[:2]:
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                "/api/v1/sales",
                data=json.dumps(_basket(card_id, products[:3])),
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            )
        if response.status_code != 201:
            raise SystemExit(f"set-up sale refused: {response.status_code} {response.content!r}")
    kinds: dict[str, int] = {}
    for query in queries.captured_queries:
        verb = query["sql"].split(None, 1)[0].upper()
        kinds[verb] = kinds.get(verb, 0) + 1
    return {
        "key": key,
        "products": products,
        "cards": card_ids,
        "statements": len(queries.captured_queries),
        "statement_kinds": kinds,
    }


def _ean13(first12: str) -> str:
    """The 12 digits and their EAN-13 check digit."""
    odd_even = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return first12 + str((10 - odd_even % 10) % 10)


def _basket(card_id: int, lines: list[tuple[str, int]]) -> dict[str, Any]:
    total = sum(price for _, price in lines)
    return {
        "card_id": card_id,
        "lines": [{"code": code, "quantity_milli": 1000} for code, _ in lines],
        "balance_fen": BALANCE_FEN,
        "payments": [{"method": "cash", "amount_fen": total - BALANCE_FEN}],
    }


# ------------------------------------------------------------------------------ server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """``huiyuan serve --no-background`` with 4 workers; returns once it answers."""
    out = log.open("wb")
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/huiyuan"),
            "serve",
            "--no-background",
            "--workers",
            str(WORKERS),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env={k: v for k, v in {**os.environ, **env}.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server stopped at start-up; see {log}:\n{log.read_text()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return proc
        except OSError:
            time.sleep(0.3)
    stop(proc)
    raise SystemExit("the server did not answer within 120 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _tree_cpu_seconds(root_pid: int) -> float:
    """User + system CPU of a process and its descendants, live or reaped (the gunicorn
    workers; PostgreSQL's backends)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        # utime + stime, and cutime + cstime: the children it already reaped (backends).
        times[int(entry.name)] = sum(int(f) for f in fields[11:15]) / tick
    total, todo = 0.0, [root_pid]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


def _postmaster_pid() -> int | None:
    """The PostgreSQL server's main process, when it runs on this machine."""
    comms: dict[int, tuple[str, int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            comms[int(entry.name)] = (comm, ppid)
    for pid, (comm, ppid) in comms.items():
        if comm == "postgres" and comms.get(ppid, ("", 0))[0] != "postgres":
            return pid
    return None


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


# ------------------------------------------------------------------------------ clients


def _client(
    args: tuple[int, str, list[tuple[str, int]], list[int], float, float, int],
) -> dict[str, Any]:
    port, key, products, cards, warmup, seconds, seed = args
    import random

    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    latencies: list[float] = []
    errors: dict[str, int] = {}
    warm = 0
    measured_from = time.perf_counter() + warmup
    deadline = measured_from + seconds
    while time.perf_counter() < deadline:
        body = json.dumps(_basket(rng.choice(cards), rng.sample(products, 3))).encode()
        start = time.perf_counter()
        try:
            conn.request(
                "POST",
                "/api/v1/sales",
                body=body,
                headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            )
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        elapsed = time.perf_counter() - start
        if response.status == 201 and start < measured_from:
            warm += 1
        elif response.status == 201:
            latencies.append(elapsed)
        else:
            try:
                code = json.loads(payload).get("code", "")
            except ValueError:
                code = ""
            label = f"{response.status} {code}".strip()
            errors[label] = errors.get(label, 0) + 1
    conn.close()
    return {"latencies": latencies, "errors": errors, "warm": warm}


def run_clients(
    port: int, info: dict[str, Any], clients: int, warmup: float, seconds: float
) -> tuple[list[float], dict[str, int], int]:
    """Latencies of the checkouts completed in the measured window, sorted; refusals and
    failures by status and code; checkouts made during the warm-up."""
    ctx = get_context("spawn")
    with ctx.Pool(clients) as pool:
        results = pool.map(
            _client,
            [
                (port, info["key"], info["products"], info["cards"], warmup, seconds, i)
                for i in range(clients)
            ],
        )
    latencies = sorted(x for r in results for x in r["latencies"])
    errors: dict[str, int] = {}
    for r in results:
        for label, n in r["errors"].items():
            errors[label] = errors.get(label, 0) + n
    return latencies, errors, sum(r["warm"] for r in results)


def run_pgbench(admin: str, clients: int, seconds: int) -> float:
    _recreate(admin, PGBENCH_DB)
    url = _url(admin, PGBENCH_DB)
    try:
        subprocess.run([PGBENCH, "-i", "-q", "-s", "10", url], check=True, capture_output=True)
        out = subprocess.run(
            [PGBENCH, "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds), url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        _drop(admin, PGBENCH_DB)
    match = re.search(r"tps = ([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def _percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def _verify(env: dict[str, str]) -> list[str]:
    _setup_django(env)
    from huiyuan.ledger.verify import verify_ledger

    return verify_ledger().problems


# ------------------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--pg-url", default=ADMIN_URL, help="PostgreSQL server (admin db)")
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds of checkouts not measured first"
    )
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="huiyuan-bench-checkout-"))
    if args.database == "postgres":
        _recreate(args.pg_url, DB)
        db_url = _url(args.pg_url, DB)
    else:
        db_url = f"sqlite:///{var_dir / 'huiyuan.sqlite3'}"
    env = {
        "DATABASE_URL": db_url,
        "HUIYUAN_VAR_DIR": str(var_dir),
        "HUIYUAN_RUN_DIR": str(var_dir / "run"),
        "HUIYUAN_DEBUG": "0",
        "HUIYUAN_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    }
    ctx = get_context("spawn")
    server = None
    try:
        with ctx.Pool(1) as pool:
            info = pool.apply(prepare, (env, args.cards))
        port = _free_port()
        server = serve(env, port, var_dir / "server.log")
        postmaster = _postmaster_pid() if args.database == "postgres" else None
        load = os.getloadavg()[0]
        cpu_before = _tree_cpu_seconds(server.pid)
        pg_before = _tree_cpu_seconds(postmaster) if postmaster else 0.0
        busy_before = _machine_busy()
        latencies, errors, warm = run_clients(port, info, args.clients, args.warmup, args.seconds)
        server_cpu = _tree_cpu_seconds(server.pid) - cpu_before
        pg_cpu = (_tree_cpu_seconds(postmaster) - pg_before) if postmaster else 0.0
        busy_after = _machine_busy()
        stop(server)
        server = None
        with ctx.Pool(1) as pool:
            problems = pool.apply(_verify, (env,))
        tpcb = run_pgbench(args.pg_url, args.clients, args.seconds)
    finally:
        if server is not None:
            stop(server)
        if args.database == "postgres":
            _drop(args.pg_url, DB)
        shutil.rmtree(var_dir, ignore_errors=True)

    done = len(latencies)
    tps = done / args.seconds
    p50 = _percentile(latencies, 50) * 1000
    p99 = _percentile(latencies, 99) * 1000
    busy = (busy_after[0] - busy_before[0]) / max(1.0, busy_after[1] - busy_before[1])
    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"server: huiyuan serve --no-background, gunicorn {WORKERS} workers x 4 threads, "
        f"{args.database}; {args.clients} client processes, {args.seconds} s measured after "
        f"{args.warmup:g} s warm-up, "
        f"{args.cards} cards, {PRODUCTS} products"
    )
    print(
        f"checkouts: {done} completed ({warm} in the warm-up), refused/failed: {errors or 'none'}"
    )
    kinds = ", ".join(f"{n} {verb}" for verb, n in sorted(info["statement_kinds"].items()))
    print(f"statements per checkout request (in-process, warm): {info['statements']} ({kinds})")
    if done:
        total = done + warm  # the CPU figures cover the warm-up too
        cpu = f"server (gunicorn) {server_cpu / total * 1000:.1f} ms"
        if postmaster:
            cpu += f", PostgreSQL (whole server) {pg_cpu / total * 1000:.1f} ms"
        print(
            f"CPU per checkout: {cpu}; machine busy {busy * 100:.0f}% of "
            f"{os.cpu_count()} cores (load average {load:.1f} before the run)"
        )
        print(
            f"latency ms: p50 {p50:.1f}, p90 {_percentile(latencies, 90) * 1000:.1f}, "
            f"p99 {p99:.1f}, mean {statistics.fmean(latencies) * 1000:.1f}"
        )
    print(f"verify-ledger after the run: {'OK' if not problems else problems[:3]}")
    print(
        f"checkout_tps={tps:.1f} pgbench_tps={tpcb:.0f} ratio={tps / tpcb:.3f} "
        f"p50_ms={p50:.0f} p99_ms={p99:.0f}"
    )


if __name__ == "__main__":
    main()
