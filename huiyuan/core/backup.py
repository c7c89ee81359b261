"""Backups: ``huiyuan backup`` and ``huiyuan restore`` (docs/deploy.md, "Backups").

A backup is a dump made by the database's own tool — ``pg_dump -Fc`` on PostgreSQL,
SQLite's online backup API (``sqlite3.Connection.backup``) — and a **manifest** written
next to it (``<dump>.manifest.json``): when it was taken, the applied migrations, the row
count of every table, and the ledger checksum (the sum of member balances per account
kind). The manifest's facts are read from the same snapshot as the dump: on PostgreSQL a
repeatable-read transaction exports its snapshot and pg_dump dumps that snapshot
(``--snapshot``); on SQLite they are read from the copy itself. So the facts describe
exactly what the dump holds, however busy the database was.

A restore goes into the default database of the process (``huiyuan restore`` points it at
``--database-url``). It refuses a database that holds any table unless forced, restores,
then runs ``verify_ledger`` and compares the migrations, counts and checksum with the
manifest: a restore is only reported good when all agree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import dj_database_url
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

MANIFEST_SUFFIX = ".manifest.json"
FORMAT = 1
_DUMP_NAME = re.compile(r"huiyuan-(?P<stamp>\d{8}T\d{6}Z)\.(?:sqlite3|pgdump)$")


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why."""


class Cursor(Protocol):
    def execute(self, sql: str, params: Any = ..., /) -> Any: ...
    def fetchall(self) -> list[Any]: ...


@dataclass
class BackupResult:
    dump: Path
    manifest: Path
    facts: dict[str, Any]


@dataclass
class RestoreReport:
    dump: Path
    ledger_problems: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    accounts_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.ledger_problems and not self.differences


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + MANIFEST_SUFFIX)


def backup_dir() -> Path:
    return Path(settings.BACKUP_DIR) if settings.BACKUP_DIR else settings.VAR_DIR / "backups"


# ------------------------------------------------------------------------ the facts


def _tables() -> list[str]:
    """Every table our models (and their many-to-many links) keep, sorted."""
    names = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    return sorted(names)


def snapshot_facts(cursor: Cursor) -> dict[str, Any]:
    """Migrations, row counts and the ledger checksum, read through ``cursor`` (any DB-API
    cursor: a Django one, psycopg's, sqlite3's) — the same SQL on both engines."""
    from huiyuan.ledger.models import Account

    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    migrations: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        migrations.setdefault(app, []).append(name)
    counts = {}
    for table in _tables():
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - our table names
        counts[table] = int(cursor.fetchall()[0][0])
    cursor.execute(
        f'SELECT kind, COUNT(*), COALESCE(SUM(balance), 0) FROM "{Account._meta.db_table}" '  # noqa: S608
        "WHERE member_side GROUP BY kind ORDER BY kind"
    )
    checksum = {
        kind: {"accounts": int(n), "balance": int(total)} for kind, n, total in cursor.fetchall()
    }
    return {"migrations": migrations, "counts": counts, "ledger_checksum": checksum}


def facts_compare(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    """What differs between the manifest's facts and the restored database's."""
    differences = []
    if expected["ledger_checksum"] != actual["ledger_checksum"]:
        differences.append(
            f"ledger checksum: manifest {expected['ledger_checksum']}, "
            f"restored {actual['ledger_checksum']}"
        )
    if expected["migrations"] != actual["migrations"]:
        differences.append("applied migrations differ from the manifest's")
    for table, count in sorted(expected["counts"].items()):
        got = actual["counts"].get(table)
        if got != count:
            differences.append(f"table {table}: manifest {count} rows, restored {got}")
    return differences


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ------------------------------------------------------------------------ PostgreSQL


def _pg_settings() -> dict[str, Any]:
    """The database pg_dump reads: HUIYUAN_BACKUP_DATABASE_URL, else the default one."""
    if settings.BACKUP_DATABASE_URL:
        return dict(dj_database_url.parse(settings.BACKUP_DATABASE_URL))
    return dict(connection.settings_dict)


def _pg_env(config: Mapping[str, Any], dbname: str | None = None) -> dict[str, str]:
    """libpq's environment for pg_dump/pg_restore: no password on a command line."""
    env = dict(os.environ)
    pairs = {
        "PGDATABASE": dbname or config.get("NAME"),
        "PGHOST": config.get("HOST"),
        "PGPORT": config.get("PORT"),
        "PGUSER": config.get("USER"),
        "PGPASSWORD": config.get("PASSWORD"),
        "PGSSLMODE": (config.get("OPTIONS") or {}).get("sslmode"),
    }
    env.update({name: str(value) for name, value in pairs.items() if value})
    return env


def _pg_connect(config: Mapping[str, Any]) -> Any:
    import psycopg

    params = {
        "dbname": config.get("NAME"),
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "sslmode": (config.get("OPTIONS") or {}).get("sslmode"),
    }
    return psycopg.connect(**{k: v for k, v in params.items() if v})


def pg_binary(name: str) -> str:
    """``pg_dump``/``pg_restore`` from HUIYUAN_PG_BIN, else from the PATH."""
    found = shutil.which(name, path=settings.PG_BIN_DIR or None)
    if not found:
        raise BackupError(
            f"{name} not found (install the PostgreSQL client matching the server, "
            "or set HUIYUAN_PG_BIN to its directory)"
        )
    return found


def _client_major(binary: str) -> int:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    match = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
    if not match:
        raise BackupError(f"cannot read the version of {binary}: {out.stdout.strip()}")
    return int(match.group(1))


def _check_versions(binary: str, server_version_num: int) -> None:
    """pg_dump older than the server refuses (or worse, misses what it cannot read)."""
    client, server = _client_major(binary), server_version_num // 10000
    if client < server:
        raise BackupError(
            f"{Path(binary).name} is version {client}, the server {server}: "
            f"use the version {server} client (HUIYUAN_PG_BIN)"
        )


def _backup_postgres(dump: Path) -> dict[str, Any]:
    config = _pg_settings()
    pg_dump = pg_binary("pg_dump")
    with _pg_connect(config) as conn:
        # One snapshot for the dump and the manifest's facts.
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        server = int(conn.execute("SHOW server_version_num").fetchone()[0])
        _check_versions(pg_dump, server)
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        result = subprocess.run(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={dump}"],
            env=_pg_env(config),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()[:2000]}")
        facts = snapshot_facts(conn.cursor())
        conn.rollback()
    facts["server_version"] = server
    return facts


def _restore_postgres(dump: Path, *, force: bool) -> None:
    config = dict(connection.settings_dict)
    pg_restore = pg_binary("pg_restore")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        _check_versions(pg_restore, int(cursor.fetchone()[0]))
        if force:
            # A forced restore replaces the whole schema: no table of a later version stays.
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    connection.close()
    result = subprocess.run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={config['NAME']}",
            str(dump),
        ],
        env=_pg_env(config),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()[:2000]}")


# ------------------------------------------------------------------------ SQLite


def _backup_sqlite(dump: Path) -> dict[str, Any]:
    connection.ensure_connection()
    source = connection.connection
    target = sqlite3.connect(dump)
    try:
        source.backup(target)  # every page in one step: one consistent copy
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        facts = snapshot_facts(target.cursor())
    finally:
        target.close()
    facts["server_version"] = sqlite3.sqlite_version
    return facts


def _restore_sqlite(dump: Path) -> None:
    name = str(connection.settings_dict["NAME"])
    connection.close()
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    target = sqlite3.connect(name)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        source.close()


# ------------------------------------------------------------------------ the commands


def backup_create(
    output: Path | None = None, *, directory: bool = False, now: dt.datetime | None = None
) -> BackupResult:
    """Dump the default database into ``output`` with its manifest next to it: a file, or
    a directory (an existing one, or ``directory=True``) for a dated name; by default
    HUIYUAN_BACKUP_DIR."""
    now = now or timezone.now()
    if connection.in_atomic_block:
        # SQLite would wait for ever on its own open transaction; and a dump must not
        # depend on what an uncommitted transaction of ours holds.
        raise BackupError("back up outside a transaction")
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups of {vendor} databases are not supported")
    extension = "sqlite3" if vendor == "sqlite" else "pgdump"
    target = output or backup_dir()
    if output is None or directory or target.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        target = target / f"huiyuan-{stamp}.{extension}"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        facts = _backup_sqlite(partial) if vendor == "sqlite" else _backup_postgres(partial)
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "vendor": vendor,
            "dump": target.name,
            "dump_bytes": partial.stat().st_size,
            "dump_sha256": _sha256(partial),
            **facts,
        }
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    path = manifest_path(target)
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return BackupResult(dump=target, manifest=path, facts=manifest)


def manifest_read(dump: Path) -> dict[str, Any]:
    path = manifest_path(dump)
    if not path.exists():
        raise BackupError(f"no manifest next to the dump ({path.name})")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown manifest format {manifest.get('format')!r}")
    return manifest


def target_tables() -> list[str]:
    """The tables the default database already holds."""
    return sorted(connection.introspection.table_names())


def backup_restore(dump: Path, *, force: bool = False) -> RestoreReport:
    """Restore ``dump`` into the default database, then check it against its manifest."""
    from huiyuan.ledger.verify import verify_ledger

    if not dump.is_file():
        raise BackupError(f"no dump at {dump}")
    manifest = manifest_read(dump)
    if manifest["vendor"] != connection.vendor:
        raise BackupError(
            f"the dump is a {manifest['vendor']} backup; the target is {connection.vendor}"
        )
    if _sha256(dump) != manifest["dump_sha256"]:
        raise BackupError("the dump's checksum differs from its manifest's: damaged or replaced")
    existing = target_tables()
    if existing and not force:
        raise BackupError(
            f"the target database is not empty ({len(existing)} tables); "
            "restore into a new database, or pass --force to replace it"
        )
    if connection.vendor == "sqlite":
        _restore_sqlite(dump)
    else:
        _restore_postgres(dump, force=force)
    connection.close()
    report = RestoreReport(dump=dump)
    ledger = verify_ledger()
    report.ledger_problems = list(ledger.problems)
    report.accounts_checked = ledger.accounts_checked
    with connection.cursor() as cursor:
        report.differences = facts_compare(manifest, snapshot_facts(cursor))
    return report


# ------------------------------------------------------------------------ retention


def dump_time(path: Path) -> dt.datetime | None:
    """When a dump named by ``backup_create`` was taken (UTC); None for other files."""
    match = _DUMP_NAME.fullmatch(path.name)
    if not match:
        return None
    return dt.datetime.strptime(match["stamp"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


def retention_keep(
    times: Iterable[dt.datetime], *, now: dt.datetime, keep_days: int, keep_months: int
) -> set[dt.datetime]:
    """Which dumps to keep: every dump of the last ``keep_days`` days, and the first dump
    of each of the last ``keep_months`` months (the current one included)."""
    times = sorted(times)
    keep = {t for t in times if now - t <= dt.timedelta(days=keep_days)}
    local_now = timezone.localtime(now)
    months_back = {
        ((local_now.year * 12 + local_now.month - 1) - i) for i in range(max(keep_months, 0))
    }
    first_of_month: dict[int, dt.datetime] = {}
    for t in times:
        local = timezone.localtime(t)
        first_of_month.setdefault(local.year * 12 + local.month - 1, t)
    keep.update(t for month, t in first_of_month.items() if month in months_back)
    return keep


def backups_prune(
    directory: Path, *, now: dt.datetime | None = None, keep_days: int, keep_months: int
) -> list[Path]:
    """Delete the dumps (and their manifests) in ``directory`` that retention lets go."""
    now = now or timezone.now()
    dumps = {t: p for p in directory.iterdir() if (t := dump_time(p)) is not None}
    keep = retention_keep(dumps, now=now, keep_days=keep_days, keep_months=keep_months)
    removed = []
    for t, path in sorted(dumps.items()):
        if t in keep:
            continue
        path.unlink()
        manifest_path(path).unlink(missing_ok=True)
        removed.append(path)
    return removed


def latest_backup(directory: Path) -> tuple[Path, dt.datetime] | None:
    """The newest dump in ``directory`` that has a manifest."""
    found = [
        (t, p)
        for p in (directory.iterdir() if directory.is_dir() else [])
        if (t := dump_time(p)) is not None and manifest_path(p).exists()
    ]
    if not found:
        return None
    t, p = max(found)
    return p, t
