"""``huiyuan check-deploy``: what is missing or unsafe before serving a real chain.

Each finding has a stable ``code``, a level — ``error`` (unsafe: the command exits 1) or
``warning`` — and what to do about it. Django's own deployment checks
(``check --deploy``) are included, less the ones this list already words for huiyuan.
docs/deploy.md lists the variables named here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.db import connection
from django.utils import timezone

ERROR, WARNING = "error", "warning"
# settings.py's trial default, and the hosts a laptop answers to.
_DEFAULT_SECRET_PREFIX = "dev-only-insecure-key"  # noqa: S105 - to recognise it
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "testserver", "::1", "[::1]"}
# Django's deployment checks that a finding below already covers.
_COVERED = {
    "security.W004",  # HSTS: https_off
    "security.W008",  # SSL redirect: https_off
    "security.W009",  # SECRET_KEY: secret_key_*
    "security.W012",  # session cookie secure: https_off
    "security.W016",  # CSRF cookie secure: https_off
    "security.W018",  # DEBUG: debug_on
    "security.W020",  # ALLOWED_HOSTS: allowed_hosts_*
}


@dataclass(frozen=True)
class Finding:
    level: str
    code: str
    message: str


def _weak(key: str) -> bool:
    return len(key) < 50 or len(set(key)) < 5


def _secrets() -> list[Finding]:
    found = []
    key = settings.SECRET_KEY
    if key.startswith(_DEFAULT_SECRET_PREFIX):
        found.append(
            Finding(
                ERROR,
                "secret_key_default",
                "HUIYUAN_SECRET_KEY is not set: the trial key "
                "is public (sessions and signed links can be forged)",
            )
        )
    elif _weak(key):
        found.append(
            Finding(
                ERROR,
                "secret_key_weak",
                "HUIYUAN_SECRET_KEY is short or repetitive: use at least 50 random characters",
            )
        )
    pii = settings.PII_KEY
    if not pii:
        found.append(
            Finding(
                ERROR,
                "pii_key_missing",
                "HUIYUAN_PII_KEY is not set: personal data is "
                "encrypted with a key derived from the secret key (rotating one loses the other)",
            )
        )
    elif pii == key:
        found.append(
            Finding(ERROR, "pii_key_same", "HUIYUAN_PII_KEY equals the secret key: set its own")
        )
    elif len(pii) < 32:
        found.append(
            Finding(
                ERROR, "pii_key_weak", "HUIYUAN_PII_KEY is short: use at least 32 random characters"
            )
        )
    return found


def _web() -> list[Finding]:
    found = []
    if settings.DEBUG:
        found.append(
            Finding(ERROR, "debug_on", "HUIYUAN_DEBUG=1: error pages show code, settings and data")
        )
    hosts = [h for h in settings.ALLOWED_HOSTS if h]
    if not hosts or "*" in hosts:
        found.append(
            Finding(
                ERROR,
                "allowed_hosts_open",
                "HUIYUAN_ALLOWED_HOSTS is empty or '*': name the site's host names",
            )
        )
    elif set(hosts) <= _LOCAL_HOSTS:
        found.append(
            Finding(
                ERROR,
                "allowed_hosts_local",
                "HUIYUAN_ALLOWED_HOSTS names only this machine: add the site's host names",
            )
        )
    if not settings.HTTPS:
        found.append(
            Finding(
                ERROR,
                "https_off",
                "HUIYUAN_HTTPS is not 1: cookies travel without "
                "HTTPS and there is no HSTS (serve behind an HTTPS proxy and set it)",
            )
        )
    elif settings.TRUSTED_PROXY_COUNT == 0:
        found.append(
            Finding(
                WARNING,
                "proxies_unknown",
                "HUIYUAN_TRUSTED_PROXIES is 0: behind a proxy "
                "every client shares the proxy's address (sign-in delays, audit)",
            )
        )
    if not settings.TWO_FACTOR_ROLES:
        found.append(
            Finding(
                ERROR,
                "two_factor_off",
                "HUIYUAN_2FA_ROLES is empty: owner and head-office sign-ins need no second factor",
            )
        )
    return found


def _database() -> list[Finding]:
    found = []
    if connection.vendor == "sqlite":
        if settings.NODES > 1:
            found.append(
                Finding(
                    ERROR,
                    "sqlite_multi_node",
                    f"HUIYUAN_NODES={settings.NODES} on SQLite: "
                    "one file cannot be shared by several machines; use PostgreSQL (DATABASE_URL)",
                )
            )
        else:
            found.append(
                Finding(
                    WARNING,
                    "sqlite",
                    "SQLite serves one machine (a trial, one shop); a chain runs on PostgreSQL",
                )
            )
    elif settings.NODES > 1 and not settings.DATABASES["default"].get(
        "DISABLE_SERVER_SIDE_CURSORS"
    ):
        found.append(
            Finding(
                WARNING,
                "no_pooler",
                "several nodes without PgBouncer (HUIYUAN_PGBOUNCER=1): "
                "each process holds its own PostgreSQL connections",
            )
        )
    try:
        connection.ensure_connection()
    except Exception as exc:  # noqa: BLE001 - reported as a finding
        found.append(
            Finding(
                ERROR,
                "database_unreachable",
                f"the database does not answer ({type(exc).__name__})",
            )
        )
        return found
    from huiyuan.core.readiness import check_migrations

    migrations = check_migrations()
    if not migrations["ok"]:
        found.append(
            Finding(
                WARNING,
                "migrations_pending",
                f"{migrations.get('pending', '?')} migration(s) "
                "not applied: run huiyuan manage migrate (huiyuan serve does it)",
            )
        )
    return found


def _background() -> list[Finding]:
    found = []
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    if backend.endswith("ImmediateBackend"):
        found.append(
            Finding(
                ERROR,
                "tasks_immediate",
                "HUIYUAN_TASKS_IMMEDIATE=1: background work runs "
                "inside requests (for tests and demos only)",
            )
        )
    if settings.TASK_BACKEND == "rq" and not settings.REDIS_URL:
        found.append(
            Finding(
                ERROR,
                "rq_without_redis",
                "HUIYUAN_TASK_BACKEND=rq needs HUIYUAN_REDIS_URL (the queue would be on "
                "127.0.0.1:6379 of each machine)",
            )
        )
    return found


def _backups(now: dt.datetime) -> list[Finding]:
    from huiyuan.core.backup import latest_backup

    if not settings.BACKUP_DIR:
        return [
            Finding(
                ERROR,
                "backups_not_configured",
                "HUIYUAN_BACKUP_DIR is not set: no "
                "backups (see docs/deploy.md, Backups: huiyuan backup --prune from a timer)",
            )
        ]
    latest = latest_backup(Path(settings.BACKUP_DIR))
    if latest is None:
        return [
            Finding(
                WARNING, "backup_missing", f"no backup with a manifest in {settings.BACKUP_DIR} yet"
            )
        ]
    path, taken = latest
    age = now - taken
    if age > dt.timedelta(hours=settings.BACKUP_MAX_AGE_HOURS):
        return [
            Finding(
                WARNING,
                "backup_stale",
                f"the latest backup ({path.name}) is {age.total_seconds() / 3600:.0f} hours old",
            )
        ]
    return []


def _django() -> list[Finding]:
    found = []
    for message in checks.run_checks(include_deployment_checks=True):
        if message.level < checks.WARNING or message.id in _COVERED or message.is_silenced():
            continue
        level = ERROR if message.level >= checks.ERROR else WARNING
        found.append(Finding(level, message.id or "django", str(message.msg)))
    return found


def deploy_check(*, now: dt.datetime | None = None) -> list[Finding]:
    """Every finding, errors first."""
    now = now or timezone.now()
    found = [
        *_secrets(),
        *_web(),
        *_database(),
        *_background(),
        *_backups(now),
        *_django(),
    ]
    return sorted(found, key=lambda f: f.level != ERROR)
