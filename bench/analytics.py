"""Benchmark: RFM classes and monthly sales figures over N sales, our code next to DuckDB.

Generates ``--sales`` sales (default 10 million) of ``--members`` members at ``--stores``
stores over three years straight into ``checkout_sale`` on PostgreSQL (SQL
``generate_series``; 2% reversed, 3% partly and 1% wholly returned), then in the same run:

1. **our code** on PostgreSQL: first the per-member roll-up (``analytics_memberstat``) is
   filled as production fills it the first time (``member_stats_prepare``: a sweep of every
   sale; timed apart), then ``huiyuan.segments.services.purchases_aggregate`` (reads that
   roll-up: one row per member) and ``rfm_classify`` — exactly what ``profiles_rebuild``
   does before habits and prediction — and the monthly figures (net sales amount and count
   per local month and store) as one ORM aggregate; also timed: moving the roll-up's
   window one day on and back (the nightly job's part);
2. **DuckDB** on the same rows (copied out of PostgreSQL once; the copy is timed apart):
   the same RFM classes and monthly figures in SQL;

prints both times and checks that every member's class and every month's figures agree;

3. **the dashboard from the roll-ups**: fills the daily roll-ups and the member-day table of
   these sales in SQL (as the subscriber or ``analytics-rebuild`` would leave them), times
   the daily job's counting of the usual ranges (``active_counts_keep``, the chain and every
   store), then the chain's 365-day dashboard — the first read and the median of
   ``--dashboard-repeat`` reads after — and the first read of a range the job does not
   count (90 days); up to 2 million sales also the active-member count as the dashboard
   made it before (distinct members of the sales), checking both agree. Example::

    .venv/bin/python bench/analytics.py --sales 1000000

The database ``--db`` (default ``huiyuan_bench_segments``) is dropped and created
(``--pg-url`` names the server) unless ``--reuse`` (then the generated sales are kept and
used again; ``--keep-rollups`` keeps the roll-ups filled by a previous run too).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DB = "huiyuan_bench_segments"
YEARS = 3


def prepare_database(pg_url: str, db: str, reuse: bool) -> None:
    import psycopg

    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone()
        if exists and not reuse:
            conn.execute(f'DROP DATABASE "{db}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{db}"')


def _literal(field: Any) -> str:
    """The SQL of a NOT NULL column's Django default (the tables have no DB defaults)."""
    import json

    from django.db import models

    if isinstance(field, models.DateTimeField):
        return "now()"
    if isinstance(field, models.DateField):
        return "current_date"
    default = field.get_default()
    if isinstance(field, models.JSONField):
        return "'" + json.dumps(default) + "'::jsonb"
    if isinstance(field, models.BooleanField):
        return "true" if default else "false"
    if isinstance(default, int | float):
        return str(default)
    return "'" + str(default or "").replace("'", "''") + "'"


def insert_sql(model: Any, table: str, generated: dict[str, str], source: str) -> str:
    """INSERT of every concrete column: ``generated`` expressions, else NULL or default."""
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in generated:
            continue
        columns.append(field.column)
        if field.column in generated:
            values.append(generated[field.column])
        elif field.null:
            values.append("NULL")
        else:
            values.append(_literal(field))
    # Built from the model's own columns and this script's constants: no outside input.
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}"  # noqa: S608
    return sql


def generate(args: argparse.Namespace, first_day: dt.date) -> None:
    from django.db import connection

    from huiyuan.checkout.models import Sale
    from huiyuan.members.models import Member
    from huiyuan.stores.models import Store

    Store.objects.bulk_create(
        [Store(code=f"B{i:03d}", name=f"门店{i}") for i in range(1, args.stores + 1)]
    )
    store_ids = list(Store.objects.order_by("pk").values_list("pk", flat=True))
    lo = store_ids[0]
    members = insert_sql(
        Member,
        "members_member",
        {
            "code": "'M' || lpad(g::text, 9, '0')",
            "name": "'会员' || g",
            "name_pinyin": "'huiyuan' || g",
            "name_initials": "'hy'",
            "mobile_masked": "'138****0000'",
            "mobile_last4": "'0000'",
            "mobile_hash": "NULL",
            "channel": "'store'",
            "home_store_id": f"{lo} + (g % {len(store_ids)})",
            "joined_at": f"timestamptz '{first_day.isoformat()} 00:00+08'",
        },
        f"generate_series(1, {args.members}) AS g",
    )
    # Members buy at very different rates: member = floor(M * u^2) makes low ids frequent.
    start = f"timestamptz '{first_day.isoformat()} 00:00+08'"
    span_seconds = YEARS * 365 * 86400
    sales = insert_sql(
        Sale,
        "checkout_sale",
        {
            "number": "'B' || g",
            "member_id": "m.first_id + floor(power(r1, 2) * m.n)::bigint",
            "store_id": f"{lo} + floor(r2 * {len(store_ids)})::int",
            "amount_fen": "fen",
            "payable_fen": "fen",
            "paid_external_fen": "fen",
            "external_method": "'cash'",
            "status": "CASE WHEN r3 < 0.02 THEN 'reversed' WHEN r3 < 0.03 THEN 'returned' "
            "ELSE 'completed' END",
            "returned_payable_fen": "CASE WHEN r3 >= 0.02 AND r3 < 0.03 THEN fen "
            "WHEN r3 >= 0.03 AND r3 < 0.06 THEN fen / 2 ELSE 0 END",
            "created_at": f"{start} + (r4 * {span_seconds}) * interval '1 second'",
        },
        "(SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4, "  # noqa: S608
        "(1000 + floor(random() * random() * 50000))::bigint AS fen "
        f"FROM generate_series(1, {args.sales}) AS g) AS s, "
        "(SELECT min(id) AS first_id, count(*) AS n FROM members_member) AS m",
    )
    with connection.cursor() as cur:
        started = time.perf_counter()
        cur.execute(members)
        cur.execute("SELECT setseed(0.42)")
        # Loading 10 million rows through the sales table's indexes and (deferred) foreign
        # keys row by row is what makes generation slow: drop them, insert, put them back.
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'checkout_sale'::regclass AND contype IN ('f', 'u', 'c')"
        )
        constraints = cur.fetchall()
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'checkout_sale' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        indexes = cur.fetchall()
        for name, _sql in constraints:
            cur.execute(f'ALTER TABLE checkout_sale DROP CONSTRAINT "{name}"')
        for name, _sql in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        cur.execute("SET synchronous_commit = off")
        cur.execute(sales)
        for _name, sql in indexes:
            cur.execute(sql)
        for name, sql in constraints:
            cur.execute(f'ALTER TABLE checkout_sale ADD CONSTRAINT "{name}" {sql}')
        cur.execute("ANALYZE checkout_sale")
        cur.execute("ANALYZE members_member")
    print(
        f"generated {args.sales:,} sales of {args.members:,} members at {args.stores} stores "
        f"in {time.perf_counter() - started:.1f} s"
    )


DUCK_RFM = """
WITH s AS (
    SELECT member_id,
           CAST(to_timestamp(epoch) AT TIME ZONE 'UTC' + INTERVAL 8 HOUR AS DATE) AS day,
           payable_fen - returned_payable_fen AS net
    FROM sales WHERE status = 'completed'
), m AS (
    SELECT member_id, max(day) AS last,
           count(*) FILTER (WHERE day >= $window_start) AS wn,
           coalesce(sum(net) FILTER (WHERE day >= $window_start), 0) AS wspend
    FROM s GROUP BY member_id
)
SELECT member_id,
       CASE (($today - last) < $recent, wn >= $frequent, wspend >= $valuable)
           WHEN (true, true, true) THEN 'important_value'
           WHEN (true, false, true) THEN 'important_develop'
           WHEN (false, true, true) THEN 'important_keep'
           WHEN (false, false, true) THEN 'important_winback'
           WHEN (true, true, false) THEN 'general_value'
           WHEN (true, false, false) THEN 'general_develop'
           WHEN (false, true, false) THEN 'general_keep'
           ELSE 'general_winback' END AS rfm_class
FROM m
"""

DUCK_MONTHLY = """
SELECT strftime(to_timestamp(epoch) AT TIME ZONE 'UTC' + INTERVAL 8 HOUR, '%Y-%m') AS month,
       store_id, count(*) AS n, sum(payable_fen - returned_payable_fen) AS amount
FROM sales WHERE status = 'completed'
GROUP BY 1, 2
"""


def stats_fill(today: dt.date, keep: bool) -> float:
    """The per-member roll-up of the generated sales, as production fills it the first
    time (``member_stats_prepare`` with no sweep yet: every sale). Returns the seconds."""
    from huiyuan.analytics.models import MemberStat, MemberStatState
    from huiyuan.analytics.rollups import member_stats_prepare
    from huiyuan.segments.selectors import rfm_settings_get

    start = today - dt.timedelta(days=rfm_settings_get().window_days - 1)
    if keep and MemberStat.objects.exists():
        member_stats_prepare(start)
        return 0.0
    MemberStat.objects.all().delete()
    MemberStatState.objects.all().delete()
    started = time.perf_counter()
    result = member_stats_prepare(start)
    seconds = time.perf_counter() - started
    print(f"  per-member roll-up: {result['members']:,} members")
    return seconds


def stats_move(today: dt.date) -> float:
    """Move the roll-up's window one day on and back (what the nightly job does once a
    day): the seconds of one move (half the total)."""
    from huiyuan.analytics.rollups import member_stats_prepare
    from huiyuan.segments.selectors import rfm_settings_get

    start = today - dt.timedelta(days=rfm_settings_get().window_days - 1)
    started = time.perf_counter()
    on = member_stats_prepare(start + dt.timedelta(days=1))
    back = member_stats_prepare(start)
    print(f"  window moved: {on['members']:,} and {back['members']:,} members recounted")
    return (time.perf_counter() - started) / 2


def ours_rfm(today: dt.date) -> dict[int, str]:
    from huiyuan.segments.selectors import rfm_settings_get
    from huiyuan.segments.services import purchases_aggregate, rfm_classify

    settings = rfm_settings_get()
    out = purchases_aggregate(today=today, window_days=settings.window_days, with_days=False)
    return {mid: rfm_classify(agg, settings, today).rfm_class for mid, agg in out.items()}


def ours_monthly() -> dict[tuple[str, int], tuple[int, int]]:
    from django.db.models import Count, F, Sum
    from django.db.models.functions import TruncMonth

    from huiyuan.checkout.models import Sale
    from huiyuan.core.clock import business_zone

    rows = (
        Sale.objects.filter(status=Sale.Status.COMPLETED)
        .annotate(month=TruncMonth("created_at", tzinfo=business_zone()))
        .values("month", "store_id")
        .annotate(n=Count("pk"), amount=Sum(F("payable_fen") - F("returned_payable_fen")))
        .order_by()
    )
    return {(r["month"].strftime("%Y-%m"), r["store_id"]): (r["n"], int(r["amount"])) for r in rows}


def duck_copy(pg_url: str, db: str, path: Path) -> None:
    import psycopg

    with psycopg.connect(f"{pg_url}/{db}") as conn, path.open("wb") as out:
        copy_sql = (
            "COPY (SELECT member_id, store_id, payable_fen, returned_payable_fen, status, "
            "floor(extract(epoch FROM created_at))::bigint AS epoch FROM checkout_sale "
            "WHERE member_id IS NOT NULL) TO STDOUT WITH (FORMAT csv, HEADER true)"
        )
        with conn.cursor().copy(copy_sql) as copy:
            for block in copy:
                out.write(block)


ROLLUPS = """
WITH g AS (
    SELECT (created_at AT TIME ZONE %(zone)s)::date AS d, store_id AS s,
           count(*) AS n, sum(payable_fen) AS p,
           count(*) FILTER (WHERE status = 'reversed') AS rn,
           coalesce(sum(payable_fen) FILTER (WHERE status = 'reversed'), 0) AS rp,
           count(*) FILTER (WHERE returned_payable_fen > 0) AS tn,
           sum(returned_payable_fen) AS tp,
           coalesce(sum(payable_fen - returned_payable_fen)
                    FILTER (WHERE status <> 'reversed'), 0) AS cash
    FROM checkout_sale GROUP BY 1, 2
)
INSERT INTO analytics_dailyfigure (day, store_id, metric, dim, count, amount)
SELECT d, s, 'sales', '', n, p FROM g
UNION ALL SELECT d, s, 'reversals', '', rn, rp FROM g
UNION ALL SELECT d, s, 'returns', '', tn, tp FROM g
UNION ALL SELECT d, s, 'pay', 'cash', 0, cash FROM g;
INSERT INTO analytics_dailyfigure (day, store_id, metric, dim, count, amount)
SELECT day, -1, metric, dim, sum(count), sum(amount)
FROM analytics_dailyfigure WHERE store_id >= 0 GROUP BY day, metric, dim;
SET work_mem = '256MB';
INSERT INTO analytics_memberday (day, store_id, member_id, sales)
SELECT (created_at AT TIME ZONE %(zone)s)::date, store_id, member_id, count(*)
FROM checkout_sale WHERE status <> 'reversed' AND member_id IS NOT NULL
GROUP BY 1, 2, 3;
RESET work_mem;
"""


def rollups_fill() -> float:
    """The daily roll-ups and the members' days of purchase of the generated sales, in SQL
    (what the subscriber or ``analytics-rebuild`` would leave), the member-day table's
    indexes built after the load. Returns the seconds it took."""
    from django.db import connection

    from huiyuan.analytics.models import ActiveCount, DailyFigure, MemberDay
    from huiyuan.core.clock import business_zone

    started = time.perf_counter()
    DailyFigure.objects.all().delete()
    ActiveCount.objects.all().delete()
    with connection.cursor() as cur:
        cur.execute("TRUNCATE analytics_memberday")
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'analytics_memberday'::regclass AND contype = 'u'"
        )
        constraints = cur.fetchall()
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'analytics_memberday' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        indexes = cur.fetchall()
        for name, _sql in constraints:
            cur.execute(f'ALTER TABLE analytics_memberday DROP CONSTRAINT "{name}"')
        for name, _sql in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        cur.execute(ROLLUPS, {"zone": str(business_zone())})
        for _name, sql in indexes:
            cur.execute(sql)
        for name, sql in constraints:
            cur.execute(f'ALTER TABLE analytics_memberday ADD CONSTRAINT "{name}" {sql}')
        # As autovacuum leaves a table at rest: the visibility map lets the distinct count
        # of members read the (day, member) index alone.
        cur.execute("VACUUM ANALYZE analytics_dailyfigure")
        cur.execute("VACUUM ANALYZE analytics_memberday")
    print(
        f"  roll-ups: {DailyFigure.objects.count():,} daily figures, "
        f"{MemberDay.objects.count():,} member-days"
    )
    return time.perf_counter() - started


def dashboard_reads(today: dt.date, repeat: int) -> dict[str, Any]:
    """The chain's 365-day dashboard: the first read (which counts the active members from
    the member-days and keeps the count) and the median of ``repeat`` reads after it; the
    active members as the dashboard counted them before (distinct members of the sales)."""
    import statistics

    from huiyuan.analytics import selectors
    from huiyuan.analytics.models import ActiveCount
    from huiyuan.analytics.rollups import active_counts_keep
    from huiyuan.checkout.models import Sale
    from huiyuan.core.clock import local_day_start
    from huiyuan.core.permissions import Actor, Role

    owner = Actor(role=Role.OWNER)
    first = today - dt.timedelta(days=364)
    ActiveCount.objects.all().delete()
    counted, t_job = timed("daily job: the usual ranges counted", lambda: active_counts_keep(today))
    print(f"    ({counted} counts: the chain and each store)")

    def read() -> dict[str, Any]:
        return selectors.dashboard(actor=owner, first=first, last=today)

    data, cold = timed("chain, 365 days: first read", read)
    warm = []
    for _ in range(repeat):
        started = time.perf_counter()
        again = read()
        warm.append(time.perf_counter() - started)
    assert again["active_members"] == data["active_members"]
    median = statistics.median(warm)
    print(f"  {'chain, 365 days: median of ' + str(repeat) + ' reads after':44} {median:8.3f} s")
    print(f"  {'  slowest of them':44} {max(warm):8.3f} s")
    odd = today - dt.timedelta(days=89)
    _odd, t_odd = timed(
        "chain, 90 days (not counted ahead): first read",
        lambda: selectors.dashboard(actor=owner, first=odd, last=today),
    )
    result = {
        "active": data["active_members"],
        "net_sales": data["current"]["net_sales"],
        "cold": cold,
        "median": median,
        "job": t_job,
        "odd": t_odd,
        "before_active": None,
    }
    if Sale.objects.count() > 2_000_000:
        print("  (the old distinct count over the sales is skipped above 2 million sales)")
        return result
    sales = (
        Sale.objects.filter(
            created_at__gte=local_day_start(first),
            created_at__lt=local_day_start(today + dt.timedelta(days=1)),
            member_id__isnull=False,
        )
        .exclude(status=Sale.Status.REVERSED)
        .values("member_id")
        .distinct()
    )
    before, t_before = timed("active members as before (from the sales)", sales.count)
    assert before == data["active_members"], (before, data["active_members"])
    result["before_active"] = t_before
    return result


def timed(label: str, fn: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    print(f"  {label:44} {seconds:8.2f} s")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=10_000_000)
    parser.add_argument("--members", type=int, default=0, help="default: sales / 20")
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default=DB, help=f"database (dropped and created; {DB})")
    parser.add_argument("--reuse", action="store_true", help="keep and reuse generated sales")
    parser.add_argument(
        "--dashboard-repeat", type=int, default=15, help="warm dashboard reads to time"
    )
    parser.add_argument(
        "--keep-rollups",
        action="store_true",
        help="with --reuse: keep the roll-ups a previous run filled",
    )
    args = parser.parse_args()
    args.members = args.members or max(args.sales // 20, 1)

    prepare_database(args.pg_url, args.db, args.reuse)
    os.environ["DATABASE_URL"] = f"{args.pg_url}/{args.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiyuan.settings")
    import django

    django.setup()
    import duckdb
    from django.core.management import call_command

    import huiyuan.segments.services  # noqa: F401  (loaded now: the code measured is this run's)
    from huiyuan.checkout.models import Sale
    from huiyuan.core.clock import local_today
    from huiyuan.segments.selectors import rfm_settings_get

    call_command("migrate", interactive=False, verbosity=0)
    today = local_today()
    first_day = today - dt.timedelta(days=YEARS * 365)
    if not Sale.objects.exists():
        generate(args, first_day)
    total = Sale.objects.count()
    print(f"sales in the table: {total:,}")

    print("our code (PostgreSQL):")
    t_stats = stats_fill(today, args.keep_rollups)
    print(f"  {'per-member roll-up filled from every sale':44} {t_stats:8.2f} s")
    ours_classes, t_rfm = timed("RFM classes (roll-up + classify)", lambda: ours_rfm(today))
    ours_months, t_month = timed("monthly figures per store", ours_monthly)

    settings = rfm_settings_get()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sales.csv"
        print("DuckDB:")
        _none, t_copy = timed(
            "copy the sales out of PostgreSQL (CSV)", lambda: duck_copy(args.pg_url, args.db, path)
        )
        con = duckdb.connect()
        _none, t_load = timed(
            "load into DuckDB",
            lambda: con.execute(
                f"CREATE TABLE sales AS SELECT * FROM read_csv_auto('{path}', header=true)"  # noqa: S608
            ),
        )
        params = {
            "today": today,
            "window_start": today - dt.timedelta(days=settings.window_days - 1),
            "recent": settings.recent_days,
            "frequent": settings.frequent_count,
            "valuable": settings.valuable_fen,
        }
        duck_rows, t_duck_rfm = timed(
            "RFM classes", lambda: con.execute(DUCK_RFM, params).fetchall()
        )
        month_rows, t_duck_month = timed(
            "monthly figures per store", lambda: con.execute(DUCK_MONTHLY).fetchall()
        )
    duck_classes = {int(mid): cls for mid, cls in duck_rows}
    duck_months = {(m, int(s)): (int(n), int(a)) for m, s, n, a in month_rows}

    assert duck_classes == ours_classes, "RFM classes differ"
    assert duck_months == ours_months, "monthly figures differ"
    from collections import Counter

    _none, t_move = timed("roll-up window moved a day (nightly)", lambda: stats_move(today))
    assert ours_rfm(today) == ours_classes, "RFM classes differ after the window moved"
    counts = Counter(ours_classes.values())
    print(f"agree: {len(ours_classes):,} members' classes, {len(ours_months):,} store-months")
    print("  " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))
    print(
        f"ratio ours / DuckDB: RFM {t_rfm / t_duck_rfm:.1f}x, "
        f"monthly {t_month / t_duck_month:.1f}x "
        f"(DuckDB copy + load: {t_copy + t_load:.1f} s; our roll-up fill: {t_stats:.1f} s, "
        f"its nightly window move: {t_move:.1f} s)"
    )
    print("dashboard from the roll-ups (PostgreSQL):")
    from huiyuan.analytics.models import MemberDay

    if args.keep_rollups and MemberDay.objects.exists():
        t_fill = 0.0
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE analytics_memberday")
    else:
        t_fill = rollups_fill()
    print(f"  {'roll-ups of these sales (SQL)':44} {t_fill:8.2f} s")
    dash = dashboard_reads(today, args.dashboard_repeat)
    old = dash["before_active"]
    print(
        f"dashboard: {dash['active']:,} active members in 365 days; "
        f"daily job {dash['job']:.1f} s, then first read {dash['cold'] * 1000:.0f} ms, "
        f"reads after {dash['median'] * 1000:.0f} ms; a 90-day range not counted ahead: "
        f"{dash['odd'] * 1000:.0f} ms"
        + ("" if old is None else f" (the sales-table count it replaced: {old * 1000:.0f} ms)")
    )


if __name__ == "__main__":
    main()
