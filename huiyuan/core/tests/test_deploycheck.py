"""``huiyuan check-deploy``: the trial defaults are reported unsafe (exit 1); a production
configuration passes (exit 0) with at most warnings."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from huiyuan.core.backup import manifest_path
from huiyuan.core.deploycheck import ERROR, WARNING, deploy_check

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


def codes(findings, level):
    return {f.code for f in findings if f.level == level}


def dump_at(directory, moment: dt.datetime) -> None:
    dump = directory / f"huiyuan-{moment.strftime('%Y%m%dT%H%M%SZ')}.sqlite3"
    dump.write_bytes(b"")
    manifest_path(dump).write_text("{}")


@pytest.fixture
def production(settings, tmp_path, monkeypatch):
    """What docs/deploy.md asks for (one node, SQLite left aside)."""
    # The browser tests' conftest sets this for Playwright when the whole tree is collected;
    # a deployment never has it (Django's own async.E001 says so).
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    settings.DEBUG = False
    settings.SECRET_KEY = "k3Jd9!vQ2-xZp7Lw0aRt8sYb4NmCe6Hf1UgTi5OoWq" + "Ej2Xc9Vz"
    settings.PII_KEY = "pii-9f2Kq0Lm3Nw8Rt1Yb6Vc4Xz7Ua5Sd"
    settings.ALLOWED_HOSTS = ["vip.example.com"]
    settings.HTTPS = True
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.BACKUP_DIR = str(tmp_path)
    settings.NODES = 1
    dump_at(tmp_path, timezone.now() - dt.timedelta(hours=3))
    return settings


def test_trial_defaults_are_unsafe(db, settings):
    settings.BACKUP_DIR = ""
    findings = deploy_check(now=NOW)
    assert {
        "secret_key_default",
        "pii_key_missing",
        "allowed_hosts_local",
        "https_off",
        "backups_not_configured",
        "tasks_immediate",  # the tests run tasks inline
    } <= codes(findings, ERROR)
    assert findings[0].level == ERROR  # errors first

    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("check_deploy", stdout=out)
    assert exit_.value.code == 1
    assert "secret_key_default: HUIYUAN_SECRET_KEY is not set" in out.getvalue()
    assert "unsafe to deploy" in out.getvalue()


def test_a_production_configuration_passes(db, production):
    findings = deploy_check()
    assert codes(findings, ERROR) == set()
    if connection.vendor == "sqlite":
        assert "sqlite" in codes(findings, WARNING)  # one node on SQLite: allowed, said
    out = StringIO()
    call_command("check_deploy", "--json", stdout=out)  # no SystemExit: exit 0
    report = json.loads(out.getvalue())
    assert report["ok"] is True
    assert {f["code"] for f in report["findings"]} == codes(findings, WARNING)


@pytest.mark.parametrize(
    "change,code",
    [
        ({"DEBUG": True}, "debug_on"),
        ({"SECRET_KEY": "short-key"}, "secret_key_weak"),
        ({"PII_KEY": ""}, "pii_key_missing"),
        ({"ALLOWED_HOSTS": ["*"]}, "allowed_hosts_open"),
        ({"ALLOWED_HOSTS": ["localhost", "127.0.0.1"]}, "allowed_hosts_local"),
        ({"HTTPS": False}, "https_off"),
        ({"TWO_FACTOR_ROLES": frozenset()}, "two_factor_off"),
        ({"NODES": 3}, "sqlite_multi_node"),
        ({"BACKUP_DIR": ""}, "backups_not_configured"),
        (
            {"TASKS": {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}},
            "tasks_immediate",
        ),
        ({"TASK_BACKEND": "rq", "REDIS_URL": ""}, "rq_without_redis"),
    ],
)
def test_each_unsafe_setting_is_an_error(db, production, change, code):
    if code == "sqlite_multi_node" and connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    for name, value in change.items():
        setattr(production, name, value)
    errors = codes(deploy_check(), ERROR)
    assert errors == {code}


def test_the_pii_key_must_be_its_own(db, production):
    production.PII_KEY = production.SECRET_KEY
    assert codes(deploy_check(), ERROR) == {"pii_key_same"}


def test_backups_missing_or_stale_are_warned(db, production, tmp_path):
    for path in tmp_path.iterdir():
        path.unlink()
    assert "backup_missing" in codes(deploy_check(), WARNING)
    dump_at(tmp_path, NOW - dt.timedelta(hours=30))
    found = deploy_check(now=NOW)
    assert "backup_stale" in codes(found, WARNING)
    assert any("is 30 hours old" in f.message for f in found if f.code == "backup_stale")
    dump_at(tmp_path, NOW - dt.timedelta(hours=2))
    assert not {"backup_stale", "backup_missing"} & codes(deploy_check(now=NOW), WARNING)
