"""Benchmark: checkout in the production topology, next to pgbench through the same PgBouncer.

Builds a throwaway PostgreSQL primary with a streaming replica and PgBouncer (transaction
pooling) in front of the primary (``huiyuan/core/tests/pgcluster.py``), loads the data of
``bench/checkout.py`` (``--cards`` cards, 20 products, a terminal and its API key), then
measures, each for ``--seconds`` with ``--clients`` client processes POSTing
``/api/v1/sales`` to ``huiyuan serve`` (gunicorn, 4 workers x 4 threads):

1. ``direct``: the server connected straight to the primary;
2. ``pgbouncer``: the server through PgBouncer (``HUIYUAN_PGBOUNCER=1``);
3. ``pgbouncer+reports``: the same while ``--report-clients`` processes read the two money
   reports (outstanding stored value, points liability) over and over, served by the
   replica (``DATABASE_REPLICA_URL``) — the replica's committed-transaction counter shows
   they went there and not to the primary;
4. ``pgbench``: pgbench's TPC-B (scale 10) with the same number of clients through the same
   PgBouncer.

The last line is::

    direct_tps=… pgbouncer_tps=… with_reports_tps=… reports_per_s=… pgbench_tps=… ratio=…

Needs the PostgreSQL server binaries and pgbouncer (``apt-get install pgbouncer``)::

    .venv/bin/python bench/production.py --clients 4 --seconds 10
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import checkout as base  # noqa: E402  (bench/checkout.py: data, server, clients)

from huiyuan.core.tests import pgcluster  # noqa: E402

DB = "huiyuan_bench_production"
PGBENCH_DB = "huiyuan_bench_pgbench"
REPORTS = ("/api/v1/reports/outstanding", "/api/v1/reports/points-liability")


def report_key(env: dict[str, str]) -> str:
    """A store manager's key on the bench terminal: it may read reports."""
    base._setup_django(env)
    from huiyuan.core.permissions import Actor, Role
    from huiyuan.stores.models import Terminal
    from huiyuan.stores.services import api_key_create

    terminal = Terminal.objects.get(code="POS1")
    _, key = api_key_create(
        actor=Actor(role=Role.OWNER),
        terminal_id=terminal.pk,
        name="报表",
        role="store_manager",
        rate_limit_per_minute=100_000,
    )
    return key


def _reporter(args: tuple[int, str, float]) -> dict[str, Any]:
    port, key, until = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    done, failed, i = 0, 0, 0
    latencies: list[float] = []
    while time.time() < until:
        path = REPORTS[i % len(REPORTS)]
        i += 1
        start = time.perf_counter()
        conn.request("GET", path, headers={"X-API-Key": key})
        response = conn.getresponse()
        response.read()
        if response.status == 200:
            done += 1
            latencies.append(time.perf_counter() - start)
        else:
            failed += 1
    conn.close()
    return {"done": done, "failed": failed, "latencies": latencies}


def commits(url: str, db: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "select xact_commit from pg_stat_database where datname = %s", (db,)
        ).fetchone()
        return int(row[0]) if row else 0


def measure(
    port: int, info: dict[str, Any], args: argparse.Namespace, reporters: tuple[str, int] | None
) -> dict[str, Any]:
    """Checkout clients for the measured window, with report clients alongside if asked."""
    ctx = get_context("spawn")
    pool = None
    pending = None
    if reporters:
        key, n = reporters
        until = time.time() + args.warmup + args.seconds
        pool = ctx.Pool(n)
        pending = pool.map_async(_reporter, [(port, key, until)] * n)
    latencies, errors, _warm = base.run_clients(port, info, args.clients, args.warmup, args.seconds)
    result: dict[str, Any] = {
        "tps": len(latencies) / args.seconds,
        "p50": base._percentile(latencies, 50) * 1000,
        "p99": base._percentile(latencies, 99) * 1000,
        "errors": errors,
    }
    if pool is not None and pending is not None:
        runs = pending.get(timeout=600)
        pool.close()
        pool.join()
        lat = sorted(x for r in runs for x in r["latencies"])
        result["reports"] = sum(r["done"] for r in runs)
        result["report_failures"] = sum(r["failed"] for r in runs)
        result["report_p50"] = base._percentile(lat, 50) * 1000
    return result


def pgbench(c: pgcluster.Cluster, clients: int, seconds: int) -> float:
    c.createdb(PGBENCH_DB)
    subprocess.run(
        [base.PGBENCH, "-i", "-q", "-s", "10", c.url(PGBENCH_DB)], check=True, capture_output=True
    )
    out = subprocess.run(
        [base.PGBENCH, "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds),
         c.url(PGBENCH_DB, c.pgbouncer_port)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    match = re.search(r"tps = ([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--report-clients", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="huiyuan-bench-production-"))
    rows: dict[str, dict[str, Any]] = {}
    with pgcluster.cluster(replica=True, pgbouncer=True) as c:
        c.createdb(DB)
        direct = {
            "DATABASE_URL": c.url(DB),
            "HUIYUAN_VAR_DIR": str(var_dir),
            "HUIYUAN_RUN_DIR": str(var_dir / "run"),
            "HUIYUAN_DEBUG": "0",
            "HUIYUAN_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        }
        ctx = get_context("spawn")
        with ctx.Pool(1) as pool:
            info = pool.apply(base.prepare, (direct, args.cards))
            key = pool.apply(report_key, (direct,))
        pooled = {
            **direct,
            "DATABASE_URL": c.url(DB, c.pgbouncer_port),
            "HUIYUAN_PGBOUNCER": "1",
            "DATABASE_REPLICA_URL": c.url(DB, c.replica_port),
        }
        for name, env, reporters in (
            ("direct", direct, None),
            ("pgbouncer", pooled, None),
            ("pgbouncer+reports", pooled, (key, args.report_clients)),
        ):
            port = base._free_port()
            server = base.serve(env, port, var_dir / f"{name}.log")
            try:
                replica_before = commits(c.url("postgres", c.replica_port), DB)
                rows[name] = measure(port, info, args, reporters)
                rows[name]["replica_commits"] = (
                    commits(c.url("postgres", c.replica_port), DB) - replica_before
                )
            finally:
                base.stop(server)
        with ctx.Pool(1) as pool:
            problems = pool.apply(base._verify, (direct,))
        tpcb = pgbench(c, args.clients, args.seconds)

    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"topology: PostgreSQL primary + streaming replica + PgBouncer (transaction pooling); "
        f"huiyuan serve, gunicorn {base.WORKERS} workers x 4 threads; {args.clients} checkout "
        f"clients, {args.seconds} s measured after {args.warmup:g} s warm-up"
    )
    for name, row in rows.items():
        line = (
            f"{name:18} checkout tps {row['tps']:7.1f}  p50 {row['p50']:6.1f} ms  "
            f"p99 {row['p99']:6.1f} ms  refused/failed {row['errors'] or 'none'}"
        )
        if "reports" in row:
            line += (
                f"; reports {row['reports'] / args.seconds:.1f}/s (p50 {row['report_p50']:.1f} "
                f"ms, failed {row['report_failures']}), transactions on the replica "
                f"{row['replica_commits']}"
            )
        print(line)
    print(f"pgbench TPC-B through PgBouncer: {tpcb:.0f} tps ({args.clients} clients)")
    print(f"verify-ledger after the runs: {'OK' if not problems else problems[:3]}")
    with_reports = rows["pgbouncer+reports"]
    print(
        f"direct_tps={rows['direct']['tps']:.1f} pgbouncer_tps={rows['pgbouncer']['tps']:.1f} "
        f"with_reports_tps={with_reports['tps']:.1f} "
        f"reports_per_s={with_reports.get('reports', 0) / args.seconds:.1f} "
        f"pgbench_tps={tpcb:.0f} ratio={rows['pgbouncer']['tps'] / tpcb:.3f}"
    )


if __name__ == "__main__":
    main()
