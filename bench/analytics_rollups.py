"""Benchmark: the analytics dashboard read from the daily roll-ups on PostgreSQL.

Fills ``analytics_dailyfigure`` with the roll-up rows of a chain of ``--stores`` stores over
``--days`` days — what ``--sales-per-day`` sales per store and day (10 million and more in
total), recharges, refunds, returns, reversals, points and new members leave behind: per
day and store one row per metric and payment method, ~20 rows — generated in SQL
(``generate_series``), then times ``huiyuan.analytics.selectors.dashboard`` (every figure
of the page: three periods of totals, takings by method for today, this month and the
range, the daily series, 24 months of new members, the pies) chain-wide and for one store,
for a month and for a year. Prints the median and the slowest of ``--repeat`` runs.

The snapshot figures (balances, tiers, active members) read their own tables, which are
empty here: this measures the roll-ups. Example::

    .venv/bin/python bench/analytics_rollups.py --stores 200 --days 1095

The database ``huiyuan_bench_analytics`` is dropped and created (``--pg-url`` names the
server) unless ``--reuse``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DB = "huiyuan_bench_analytics"


def prepare_database(pg_url: str, reuse: bool) -> None:
    import psycopg

    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB]).fetchone()
        if exists and not reuse:
            conn.execute(f'DROP DATABASE "{DB}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB}"')


FILL = """
INSERT INTO analytics_dailyfigure (day, store_id, metric, dim, count, amount)
SELECT d::date, s, m.metric, m.dim,
       CASE WHEN m.counted THEN (m.share * %(per_day)s)::bigint + (s %% 7) ELSE 0 END,
       ((m.share * %(per_day)s * 4800) * (0.8 + ((s * 31 + extract(doy FROM d)::int) %% 40) / 100.0))::bigint
FROM generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS d,
     generate_series(1, %(stores)s) AS s,
     (VALUES ('sales', '', 1.0, true), ('reversals', '', 0.01, true), ('returns', '', 0.02, true),
             ('pay', 'cash', 0.3, false), ('pay', 'wechat', 0.35, false),
             ('pay', 'alipay', 0.15, false), ('pay', 'stored_value', 0.18, false),
             ('pay', 'points', 0.02, false), ('recharges', '', 0.05, true),
             ('recharge_bonus', '', 0.01, true), ('recharge_pay', 'cash', 0.02, true),
             ('recharge_pay', 'wechat', 0.03, true), ('refunds', '', 0.002, true),
             ('refund_pay', 'cash', 0.002, true), ('points_issued', '', 0.9, false),
             ('points_redeemed', '', 0.1, false), ('points_expired', '', 0.02, false),
             ('members_new', 'store', 0.02, true), ('members_new', 'self', 0.01, true),
             ('members_staff', '7', 0.03, true)) AS m(metric, dim, share, counted)
"""


# New members per month and store (dated the 1st), then the chain's own rows (store -1),
# as the subscriber and the rebuild keep them.
CHAIN_FILL = """
INSERT INTO analytics_dailyfigure (day, store_id, metric, dim, count, amount)
SELECT date_trunc('month', day)::date, store_id, 'members_month', '', sum(count), 0
FROM analytics_dailyfigure WHERE metric = 'members_new' GROUP BY 1, 2;
INSERT INTO analytics_dailyfigure (day, store_id, metric, dim, count, amount)
SELECT day, -1, metric, dim, sum(count), sum(amount)
FROM analytics_dailyfigure WHERE store_id >= 0 GROUP BY day, metric, dim
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=200)
    parser.add_argument("--days", type=int, default=1095)
    parser.add_argument("--sales-per-day", type=int, default=50, help="per store")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--reuse", action="store_true", help="keep the generated table")
    args = parser.parse_args()

    prepare_database(args.pg_url, args.reuse)
    os.environ["DATABASE_URL"] = f"{args.pg_url}/{DB}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiyuan.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from huiyuan.analytics import selectors
    from huiyuan.analytics.models import DailyFigure
    from huiyuan.core.clock import local_today
    from huiyuan.core.permissions import Actor, Role

    call_command("migrate", interactive=False, verbosity=0)
    last = local_today()
    first = last - dt.timedelta(days=args.days - 1)
    rows = DailyFigure.objects.count()
    if not rows:
        started = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(
                FILL,
                {
                    "per_day": args.sales_per_day,
                    "first": first,
                    "last": last,
                    "stores": args.stores,
                },
            )
            cur.execute(CHAIN_FILL)
            cur.execute("ANALYZE analytics_dailyfigure")
        rows = DailyFigure.objects.count()
        print(f"generated {rows:,} roll-up rows in {time.perf_counter() - started:.1f} s")
    sales = DailyFigure.objects.filter(metric="sales", store_id=-1).aggregate(
        n=django.db.models.Sum("count")
    )["n"]
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_total_relation_size('analytics_dailyfigure'))")
        size = cur.fetchone()[0]
    print(
        f"roll-ups: {rows:,} rows ({size}) standing for {sales:,} sales, "
        f"{args.stores} stores, {args.days} days"
    )

    owner = Actor(role=Role.OWNER)
    month = (last.replace(day=1), last)
    year = (last - dt.timedelta(days=364), last)
    cases = [
        ("chain, this month", owner, month, None),
        ("chain, last 365 days", owner, year, None),
        ("one store, this month", owner, month, 1),
        ("one store, last 365 days", owner, year, 1),
        (
            "store manager (3 stores), this month",
            Actor(role=Role.STORE_MANAGER, store_ids=frozenset({1, 2, 3})),
            month,
            None,
        ),
    ]
    print(f"{'dashboard read':40} {'median ms':>10} {'max ms':>10}")
    for label, actor, (a, b), store in cases:
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            data = selectors.dashboard(actor=actor, first=a, last=b, store_id=store)
            times.append((time.perf_counter() - started) * 1000)
        assert data["current"]["sales"] > 0  # type: ignore[index]
        print(f"{label:40} {statistics.median(times):10.1f} {max(times):10.1f}")


if __name__ == "__main__":
    main()
