"""Benchmark: member import (M3) — members imported per second and peak memory.

Writes a member file of ``--rows`` rows (CSV by default, or .xlsx with ``--format xlsx``;
names repeat as in a real file; 1% of the rows are bad: a mobile that is not one), then runs the import exactly as the
worker does (``import_upload`` streaming the file in 1 MB chunks, ``import_start``,
``import_run``: batches of 1,000 rows per transaction) against a fresh database, and
reports rows per second and memory: the process's peak resident set (``ru_maxrss``)
before and after the import, and with ``--tracemalloc`` the peak of Python allocations
during the run (slower). Then it runs the same file again (nothing may be added) and
reports that pass too.

Each database runs in its own child process (settings read ``DATABASE_URL`` at start-up)::

    .venv/bin/python bench/import.py --rows 1000000 --db both
    .venv/bin/python bench/import.py --rows 100000 --db sqlite --format xlsx

The PostgreSQL database ``huiyuan_bench_import`` is dropped and created (``--pg-url``) and
dropped at the end; the SQLite file and the generated file live in a temporary directory
removed at the end.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DB = "huiyuan_bench_import"
HEADER = ["姓名", "手机号", "性别", "生日", "地区"]
BAD_EVERY = 100  # one row in a hundred is bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL)
    parser.add_argument("--tracemalloc", action="store_true", help="trace Python allocations")
    parser.add_argument("--no-rerun", action="store_true", help="skip the second pass")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    databases = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="huiyuan-bench-import-") as workdir:
        for db in databases:
            result_file = Path(workdir) / f"{db}.json"
            env = {
                **os.environ,
                "DATABASE_URL": database_url(db, args.pg_url, workdir),
                "HUIYUAN_VAR_DIR": str(Path(workdir) / "var"),
                "HUIYUAN_TASKS_IMMEDIATE": "0",
            }
            command = [
                sys.executable,
                __file__,
                "--child",
                "--db",
                db,
                "--rows",
                str(args.rows),
                "--format",
                args.format,
                "--pg-url",
                args.pg_url,
                "--workdir",
                workdir,
                "--result-file",
                str(result_file),
                *(["--tracemalloc"] if args.tracemalloc else []),
                *(["--no-rerun"] if args.no_rerun else []),
            ]
            print(f"== {db}", flush=True)
            subprocess.run(command, env=env, check=True, cwd=ROOT)
            results[db] = json.loads(result_file.read_text())
    report(args, results)


def database_url(db: str, pg_url: str, workdir: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{Path(workdir) / 'bench.sqlite3'}"
    return urlparse(pg_url)._replace(path=f"/{PG_DB}").geturl()


def report(args: argparse.Namespace, results: dict[str, dict[str, Any]]) -> None:
    print()
    first = next(iter(results.values()))
    print(
        f"member import, {args.rows:,} rows ({args.format}, 1% bad), {first['machine']}, "
        f"{dt.date.today().isoformat()}"
    )
    print(
        "| database | rows/s | import s | rows created | errors | peak RSS MB "
        "(before → after) | tracemalloc peak MB | re-run rows/s | re-run added |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for db, r in results.items():
        print(
            f"| {db} {r['version']} | {r['rows_per_second']:,.0f} | {r['seconds']:.1f} | "
            f"{r['created']:,} | {r['errors']:,} | {r['rss_before_mb']:.0f} → "
            f"{r['rss_after_mb']:.0f} | {r.get('tracemalloc_peak_mb', 'n/a')} | "
            f"{r.get('rerun_rows_per_second', 'n/a')} | {r.get('rerun_created', 'n/a')} |"
        )


# ------------------------------------------------------------------------------ child


def prepare(db: str, pg_url: str) -> None:
    if db != "postgres":
        return
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DB}"')


def drop(db: str, pg_url: str) -> None:
    if db != "postgres":
        return
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国"


def rows(n: int):  # type: ignore[no-untyped-def]
    """Names as a real file repeats them: 50 surnames × 1–2 given characters from 32
    (about 52,000 distinct names); one row in ``BAD_EVERY`` has a mobile that is not one."""
    for i in range(n):
        mobile = f"13{i:09d}" if i % BAD_EVERY != BAD_EVERY - 1 else f"99{i:05d}"
        g = len(GIVEN)
        given = GIVEN[i % g] + ("" if i % 3 == 0 else GIVEN[(i // g) % g])
        name = SURNAMES[(i // (g * g)) % len(SURNAMES)] + given
        yield [name, mobile, "男" if i % 2 else "女", "1990-01-01", "上海"]


def write_file(path: Path, n: int, fmt: str) -> None:
    if fmt == "csv":
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(HEADER)
            writer.writerows(rows(n))
        return
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for row in rows(n):
        sheet.append(row)
    workbook.save(path)


def chunks(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            yield block


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: argparse.Namespace) -> None:
    prepare(args.db, args.pg_url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiyuan.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    from huiyuan.core.permissions import Role
    from huiyuan.imports.services import import_run, import_start, import_upload
    from huiyuan.members.models import Member
    from huiyuan.stores.models import Staff, Store

    store = Store.objects.create(code="B01", name="基准店")
    staff = Staff(username="bench-owner", display_name="bench", role=Role.OWNER)
    staff.set_unusable_password()
    staff.save()
    actor = staff.as_actor(store_id=store.pk)
    path = Path(args.workdir) / f"members.{args.format}"
    if not path.exists():
        write_file(path, args.rows, args.format)
    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "version": connection.vendor
        + " "
        + (
            connection.Database.sqlite_version  # type: ignore[attr-defined]
            if connection.vendor == "sqlite"
            else str(connection.cursor().connection.info.server_version)
        ),
        "file_mb": round(path.stat().st_size / 1e6, 1),
    }

    def run_once() -> tuple[float, Any]:
        job = import_upload(
            actor=actor,
            kind="members",
            filename=path.name,
            chunks=chunks(path),
            options={"store_id": store.pk},
        )
        import_start(actor=actor, job_id=job.pk, idempotency_key=f"bench-{job.pk}")
        started = time.monotonic()
        job = import_run(job_id=job.pk)
        return time.monotonic() - started, job

    result["rss_before_mb"] = rss_mb()
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start()
    seconds, job = run_once()
    if args.tracemalloc:
        import tracemalloc

        result["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 1e6, 1)
        tracemalloc.stop()
    result["rss_after_mb"] = rss_mb()
    assert job.status == "done", job.message
    result.update(
        seconds=seconds,
        rows_per_second=job.rows_done / seconds,
        created=job.rows_created,
        errors=job.rows_error,
        members=Member.objects.count(),
    )
    print(json.dumps(result), flush=True)
    if not args.no_rerun:
        seconds, again = run_once()
        result["rerun_rows_per_second"] = f"{again.rows_done / seconds:,.0f}"
        result["rerun_created"] = again.rows_created
        print(f"re-run: {again.rows_done / seconds:,.0f} rows/s, {again.rows_created} added")
    connection.close()
    drop(args.db, args.pg_url)
    Path(args.result_file).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
