"""Benchmark: the counter's member look-up with a large archive, on SQLite and PostgreSQL.

Loads N members (default 1,000,000) with the derived fields the registration service
computes (pinyin, initials, encrypted mobile, keyed mobile hash, mask, last four digits),
then measures p50/p99 latency of a look-up by mobile, by member number and by pinyin
initials, two ways:

* ``selector``: ``huiyuan.members.selectors.member_lookup`` called directly;
* ``api``: ``GET /api/v1/members?q=…`` through Django's test ``Client`` in-process,
  authenticated with a terminal API key (skipped when the endpoint is not there).

Each database runs in its own child process (settings read ``DATABASE_URL`` at start-up);
the parent prints both side by side. Examples::

    .venv/bin/python bench/member_lookup.py --members 100000 --db both
    .venv/bin/python bench/member_lookup.py --db postgres --reuse --explain

The PostgreSQL database ``huiyuan_bench`` is dropped and created (``--pg-url``); the
SQLite file lives under /tmp. ``--reuse`` keeps an already loaded database of the same
size; ``--keep`` leaves the database in place after the run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DB_NAME = "huiyuan_bench"
SQLITE_PATH = Path(tempfile.gettempdir()) / "huiyuan-bench.sqlite3"
CHUNK = 20_000
KINDS = ("mobile", "member_number", "initials")
SEED = 20260601


# ----------------------------------------------------------------------------- parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000, help="look-ups per kind")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="PostgreSQL server (admin db)")
    parser.add_argument("--workers", type=int, default=2, help="processes deriving rows")
    parser.add_argument("--reuse", action="store_true", help="keep a loaded db of this size")
    parser.add_argument("--keep", action="store_true", help="do not drop the db afterwards")
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    databases = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    results: dict[str, dict[str, Any]] = {}
    started = time.monotonic()
    for db in databases:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            result_file = handle.name
        env = {**os.environ, "DATABASE_URL": database_url(db, args.pg_url)}
        command = [
            sys.executable,
            __file__,
            "--child",
            "--db",
            db,
            "--members",
            str(args.members),
            "--queries",
            str(args.queries),
            "--pg-url",
            args.pg_url,
            "--workers",
            str(args.workers),
            "--result-file",
            result_file,
            *(["--reuse"] if args.reuse else []),
            *(["--keep"] if args.keep else []),
            *(["--explain"] if args.explain else []),
        ]
        print(f"== {db}: {' '.join(command[1:])}", flush=True)
        subprocess.run(command, env=env, check=True, cwd=ROOT)
        results[db] = json.loads(Path(result_file).read_text())
        Path(result_file).unlink()
    print_report(args, results, time.monotonic() - started)


def database_url(db: str, pg_url: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{SQLITE_PATH}"
    return pg_url.rsplit("/", 1)[0] + "/" + PG_DB_NAME


def print_report(args: argparse.Namespace, results: dict[str, dict[str, Any]], took: float) -> None:
    dbs = list(results)
    first = results[dbs[0]]
    print()
    print(
        f"member look-up, {args.members:,} members, {args.queries:,} queries per kind; "
        f"{first['machine']}; {dt.date.today().isoformat()}"
    )
    for db in dbs:
        r = results[db]
        print(
            f"  {db}: {r['version']}; load {r['load_seconds']:.0f} s "
            f"({r['load_note']}); run {r['run_seconds']:.0f} s; "
            f"load average {r['loadavg'][0]} before, {r['loadavg'][1]} after"
        )
    header = ["look-up", "path"]
    for db in dbs:
        header += [f"{db} p50 ms", f"{db} p99 ms", f"{db} max ms"]
    rows = [header]
    paths = [(k, p) for k in KINDS for p in ("selector", "api")] + [("initials", "proposed")]
    for kind, path in paths:
        row = [kind, path]
        for db in dbs:
            figures = results[db]["timings"].get(path, {}).get(kind)
            if figures is None:
                row += ["n/a", "n/a", "n/a"]
            else:
                row += [
                    f"{figures['p50']:.2f}",
                    f"{figures['p99']:.2f}",
                    f"{figures['max']:.2f}",
                ]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for index, row in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for db in dbs:
        note = results[db].get("api_note")
        if note:
            print(f"  {db} api: {note}")
        slowest = {
            f"{path}/{kind}": f["slowest"]
            for path, by_kind in results[db]["timings"].items()
            for kind, f in by_kind.items()
        }
        print(f"  {db} slowest query per path: {json.dumps(slowest)}")
    print(f"total {took:.0f} s")


# ------------------------------------------------------------------------------ child


def child(args: argparse.Namespace) -> None:
    db = args.db
    fresh = prepare_database(db, args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiyuan.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from huiyuan.members.models import Member

    call_command("migrate", interactive=False, verbosity=0)
    store_ids, api_key, actor = make_org()
    started = time.monotonic()
    existing = Member.objects.count()
    if fresh or existing != args.members:
        if existing:
            raise SystemExit(f"{db}: holds {existing} members, not {args.members}; drop --reuse")
        load_note = load_members(db, args.members, store_ids, args.workers)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        load_note = "reused"
    load_seconds = time.monotonic() - started

    started = time.monotonic()
    queries = sample_queries(args.queries)
    load_before = os.getloadavg()
    timings: dict[str, dict[str, dict[str, Any]]] = {"selector": {}, "api": {}, "proposed": {}}
    # The (field, id) indexes ship with the members migrations; make sure they exist
    # (an older loaded database may lack them) before timing the shipped selector.
    create_proposed_indexes()
    for kind in KINDS:
        timings["selector"][kind] = measure(lambda q: run_selector(actor, q), queries[kind])
    api_note = ""
    client = api_client(api_key)
    if client is None:
        api_note = "GET /api/v1/members is not available yet"
    else:
        for kind in KINDS:
            timings["api"][kind] = measure(client, queries[kind])
    if args.explain:
        explain(actor, {k: timings["selector"][k]["slowest"] for k in KINDS})
    create_proposed_indexes()
    timings["proposed"]["initials"] = measure(
        lambda q: proposed_lookup(actor, q), queries["initials"]
    )
    load_after = os.getloadavg()
    result = {
        "db": db,
        "version": db_version(),
        "machine": machine(),
        "load_seconds": load_seconds,
        "load_note": load_note,
        "run_seconds": time.monotonic() - started,
        "timings": timings,
        "api_note": api_note,
        "loadavg": [round(load_before[0], 1), round(load_after[0], 1)],
    }
    Path(args.result_file).write_text(json.dumps(result))
    connection.close()
    if not args.keep:
        drop_database(db, args)


def prepare_database(db: str, args: argparse.Namespace) -> bool:
    """Create an empty database unless ``--reuse`` finds one; True when it is new."""
    if db == "sqlite":
        if args.reuse and SQLITE_PATH.exists():
            return False
        drop_database(db, args)
        return True
    import psycopg

    with psycopg.connect(args.pg_url, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DB_NAME])
        if args.reuse and found.fetchone():
            return False
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB_NAME}")
    return True


def drop_database(db: str, args: argparse.Namespace) -> None:
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(args.pg_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB_NAME} WITH (FORCE)")


def make_org() -> tuple[list[int], str, Any]:
    """Three stores, a terminal and a fresh cashier API key for the first store."""
    from django.db import transaction

    from huiyuan.core.permissions import Actor, Role
    from huiyuan.stores import services
    from huiyuan.stores.models import ApiKey, Store, Terminal

    system = Actor(role=Role.OWNER)
    with transaction.atomic():
        for code, name in (("B01", "旗舰店"), ("B02", "东城店"), ("B03", "西湖店")):
            if not Store.objects.filter(code=code).exists():
                services.store_create(actor=system, code=code, name=name)
        stores = list(Store.objects.filter(code__in=["B01", "B02", "B03"]).order_by("code"))
        terminal = Terminal.objects.filter(code="B01-POS01").first()
        if terminal is None:
            terminal = services.terminal_create(
                actor=system, store_id=stores[0].pk, code="B01-POS01", name="1号收银台"
            )
        row, key = services.api_key_create(actor=system, terminal_id=terminal.pk, name="bench")
    actor = ApiKey.objects.select_related("terminal").get(pk=row.pk).as_actor()
    return [s.pk for s in stores], key, actor


# ------------------------------------------------------------------------ the members


def member_columns() -> list[str]:
    from huiyuan.members.models import Member

    return [f.column for f in Member._meta.concrete_fields if not f.primary_key]


def member_code(index: int) -> str:
    """Unique 10-digit member numbers spread over the whole range (7919 is prime)."""
    return f"8{(index * 7919 + 104_729) % 10**9:09d}"


def member_mobile(index: int) -> str:
    """Unique mobiles: the prefix cycles, the suffix is a bijection of the index."""
    from huiyuan.demo.people import MOBILE_PREFIXES

    prefix = MOBILE_PREFIXES[index % len(MOBILE_PREFIXES)]
    return f"{prefix}{(index * 7_777_777 + 31_415) % 10**8:08d}"


_PINYIN: dict[str, tuple[str, str]] = {}


def make_chunk(job: tuple[int, int, list[int], float, bool]) -> list[tuple[Any, ...]]:
    """Rows ``start``..``stop`` in column order, with the fields the service derives.

    With ``adapt`` the values are converted for the database by the model fields
    (``get_db_prep_save``), ready for a raw INSERT; otherwise they stay Python values
    for COPY, which psycopg adapts.
    """
    start, stop, store_ids, now_ts, adapt = job
    from django.db import connection

    from huiyuan.core import china, pii
    from huiyuan.demo import people
    from huiyuan.members.models import Member

    fields = [f for f in Member._meta.concrete_fields if not f.primary_key]

    rng = random.Random(SEED + start)
    now = dt.datetime.fromtimestamp(now_ts, tz=dt.UTC)
    today = now.date()
    rows = []
    for index in range(start, stop):
        gender = people.pick_gender(rng)
        name = people.pick_name(rng, gender)
        if name not in _PINYIN:
            _PINYIN[name] = (china.pinyin_full(name), china.pinyin_initials(name))
        pinyin, initials = _PINYIN[name]
        mobile = member_mobile(index)
        joined = now - dt.timedelta(seconds=rng.randrange(3 * 365 * 86400))
        roll = rng.random()
        status = "cancelled" if roll < 0.01 else "terminated" if roll < 0.015 else "active"
        values = {
            "code": member_code(index),
            "name": name,
            "name_pinyin": pinyin,
            "name_initials": initials,
            "gender": gender,
            "mobile_enc": pii.encrypt(mobile),
            "mobile_hash": pii.keyed_hash(mobile),
            "mobile_masked": pii.mask_mobile(mobile),
            "mobile_last4": mobile[-4:],
            "birthday": people.pick_birth_date(rng, today) if rng.random() < 0.85 else None,
            "birthday_calendar": "solar",
            "lunar_birth_month": None,
            "lunar_birth_day": None,
            "lunar_birth_leap": False,
            "id_number_enc": "",
            "id_number_hash": "",
            "id_number_masked": "",
            "region": people.pick_region(rng)[0],
            "address_enc": "",
            "occupation": "",
            "preferences": "",
            "email": "",
            "custom_fields": {} if adapt else "{}",  # COPY reads JSON text
            "channel": rng.choice(("store", "store", "store", "self", "call_center", "import")),
            "home_store_id": rng.choice(store_ids),
            "registered_by_id": None,
            "referrer_id": None,
            "status": status,
            "earn_frozen": False,
            "spend_frozen": False,
            "freeze_reason": "",
            "merged_into_id": None,
            "consent_at": joined,
            "joined_at": joined,
            "last_activity_at": joined + (now - joined) * rng.random(),
            "updated_at": now,
        }
        if adapt:
            rows.append(tuple(f.get_db_prep_save(values[f.column], connection) for f in fields))
        else:
            rows.append(tuple(values[f.column] for f in fields))
    return rows


def row_chunks(
    count: int, store_ids: list[int], workers: int, *, adapt: bool = False
) -> Iterator[list[tuple[Any, ...]]]:
    """Derived rows in chunks, computed by ``workers`` processes (forked, settings loaded)."""
    now_ts = time.time()
    jobs = [(s, min(s + CHUNK, count), store_ids, now_ts, adapt) for s in range(0, count, CHUNK)]
    if workers <= 1:
        yield from map(make_chunk, jobs)
        return
    with get_context("fork").Pool(workers) as pool:
        yield from pool.imap(make_chunk, jobs)


def load_members(db: str, count: int, store_ids: list[int], workers: int) -> str:
    from django.db import connection, transaction

    from huiyuan.members.models import Member

    columns = member_columns()
    started = time.monotonic()
    done = 0
    if db == "postgres":
        table = Member._meta.db_table
        copy_sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        for rows in row_chunks(count, store_ids, workers):
            with transaction.atomic(), connection.cursor() as cursor:
                with cursor.cursor.copy(copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            done += len(rows)
            progress(done, count, started)
        how = "COPY"
    else:
        # Django's bulk_create spends most of its time compiling 27-row INSERTs (SQLite's
        # 999-parameter limit): 3.3 s per 20,000 rows against 0.6 s for one prepared
        # INSERT run by executemany on values adapted by the model fields themselves.
        table = Member._meta.db_table
        marks = ", ".join(["%s"] * len(columns))
        insert_sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB while the indexes grow
        for rows in row_chunks(count, store_ids, workers, adapt=True):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(insert_sql, rows)
            done += len(rows)
            progress(done, count, started)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=FULL")
        how = "executemany"
    print(file=sys.stderr)
    return f"{how}, {workers} processes deriving fields, then ANALYZE"


def progress(done: int, total: int, started: float) -> None:
    rate = done / max(time.monotonic() - started, 1e-9)
    print(f"\r  loaded {done:,}/{total:,} ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)


# -------------------------------------------------------------------------- measuring


def sample_queries(count: int) -> dict[str, list[str]]:
    """Search strings of randomly chosen existing members, as a cashier would type them."""
    from huiyuan.members.models import Member

    rng = random.Random(SEED)
    top = Member.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ids = [rng.randrange(1, top + 1) for _ in range(count)]
    rows = {
        pk: (enc, code, initials)
        for pk, enc, code, initials in Member.objects.filter(pk__in=ids).values_list(
            "pk", "mobile_enc", "code", "name_initials"
        )
    }
    chosen = [rows[pk] for pk in ids if pk in rows]
    from huiyuan.core import pii

    return {
        "mobile": [pii.decrypt(enc) for enc, _, _ in chosen],
        "member_number": [code for _, code, _ in chosen],
        "initials": [initials for _, _, initials in chosen],
    }


def run_selector(actor: Any, query: str) -> None:
    from huiyuan.members.selectors import member_lookup

    member_lookup(actor=actor, query=query)


def api_client(api_key: str) -> Any:
    """A callable doing the API search, or None when the endpoint does not exist yet."""
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_key}")
    probe = client.get("/api/v1/members", {"q": "13800000000"})
    if probe.status_code == 404 and b"member" not in probe.content.lower():
        return None
    if probe.status_code != 200:
        raise SystemExit(f"GET /api/v1/members answered {probe.status_code}: {probe.content!r}")

    def search(query: str) -> None:
        response = client.get("/api/v1/members", {"q": query})
        if response.status_code != 200:
            raise SystemExit(f"q={query}: {response.status_code} {response.content!r}")

    return search


def measure(call: Any, queries: list[str]) -> dict[str, float]:
    for query in queries[:20]:  # warm caches and code paths
        call(query)
    samples = []
    for query in queries:
        started = time.perf_counter_ns()
        call(query)
        samples.append(((time.perf_counter_ns() - started) / 1e6, query))
    slowest = max(samples)
    samples.sort()
    ms = [t for t, _ in samples]
    return {
        "slowest": slowest[1],
        "p50": statistics.median(ms),
        "p99": ms[min(len(ms) - 1, round(0.99 * len(ms)) - 1)],
        "max": ms[-1],
        "mean": statistics.fmean(ms),
    }


# The change proposed for ``member_lookup`` (members/selectors.py): search initials and
# full pinyin as two index-ordered scans that each stop after ``limit`` rows, instead of
# one OR that PostgreSQL answers by walking the whole name_initials index.
PROPOSED_INDEXES = {
    "member_initials_id_idx": ("name_initials", "id"),
    "member_pinyin_id_idx": ("name_pinyin", "id"),
}


def create_proposed_indexes() -> None:
    from django.db import connection

    from huiyuan.members.models import Member

    with connection.cursor() as cursor:
        for name, columns in PROPOSED_INDEXES.items():
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {Member._meta.db_table} ({', '.join(columns)})"
            )


def drop_proposed_indexes() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for name in PROPOSED_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


def proposed_lookup(actor: Any, query: str, limit: int = 10) -> list[Any]:
    from huiyuan.members import selectors
    from huiyuan.members.models import Member

    q = query.strip().replace(" ", "").lower()
    if not (q.isascii() and q.isalpha()):
        return selectors.member_lookup(actor=actor, query=query, limit=limit)
    base = Member.objects.exclude(status=Member.Status.MERGED).select_related("home_store")
    found: dict[int, Any] = {}
    for field in ("name_initials", "name_pinyin"):
        condition = selectors._prefix_range(field, q)
        for member in base.filter(condition).order_by(field, "id")[:limit]:
            found.setdefault(member.pk, member)
    rows = sorted(found.values(), key=lambda m: (m.name_initials, m.pk))[:limit]
    return sorted(rows, key=lambda m: (m.status != Member.Status.ACTIVE, m.name_initials, m.pk))


def explain(actor: Any, queries: dict[str, str]) -> None:
    """The plans of each kind's slowest query, through the selector and the API's list."""
    from huiyuan.members.models import Member
    from huiyuan.members.selectors import (
        MemberFilters,
        member_list,
        member_search_filter,
    )

    for kind in KINDS:
        query = queries[kind]
        condition = member_search_filter(query)
        lookup = (
            Member.objects.filter(condition)
            .exclude(status=Member.Status.MERGED)
            .select_related("home_store")
            .order_by("name_initials", "id")[:10]
        )
        listing = member_list(actor=actor, filters=MemberFilters(query=query))
        print(f"\n--- {kind} q={query!r}: member_lookup", file=sys.stderr)
        print(lookup.explain(), file=sys.stderr)
        print(f"--- {kind} q={query!r}: member_list (API) count, then page", file=sys.stderr)
        print(listing.order_by().explain(), file=sys.stderr)
        print(listing[:20].explain(), file=sys.stderr)


def db_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("show server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores {model}, Python {platform.python_version()}"


if __name__ == "__main__":
    main()
