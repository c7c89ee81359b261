"""docs/deploy.md lists every variable the settings read; the units and the compose file
run commands that exist."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from django.core.management import get_commands

from huiyuan.cli import ALIASES

ROOT = Path(__file__).resolve().parents[3]
DOC = (ROOT / "docs" / "deploy.md").read_text()


def settings_variables() -> set[str]:
    source = (ROOT / "huiyuan" / "settings.py").read_text()
    return set(re.findall(r"os\.environ\.get\(\s*\"([A-Z0-9_]+)\"", source))


def test_every_variable_the_settings_read_is_documented():
    variables = settings_variables()
    assert {"DATABASE_URL", "HUIYUAN_SECRET_KEY", "HUIYUAN_PGBOUNCER"} <= variables
    missing = sorted(v for v in variables if f"| `{v}` |" not in DOC)
    assert missing == [], f"add these to docs/deploy.md, Settings: {missing}"


def test_the_example_environment_uses_only_known_variables():
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", DOC))
    lines = (ROOT / "deploy" / "env.example").read_text().splitlines()
    names = {
        line.lstrip("# ").split("=", 1)[0]
        for line in lines
        if re.match(r"#? ?[A-Z][A-Z0-9_]+=", line)
    }
    assert "HUIYUAN_SECRET_KEY" in names and names <= documented


def huiyuan_commands(argv: list[str]) -> list[str]:
    """The huiyuan sub-command of a command line (after ``manage`` when present)."""
    words = [w for w in argv if not w.startswith("-")]
    index = next(i for i, w in enumerate(words) if w.endswith("huiyuan"))
    rest = words[index + 1 :]
    return rest[1:2] if rest[:1] == ["manage"] else rest[:1]


def known(command: str) -> bool:
    return ALIASES.get(command, command) in get_commands()


def test_systemd_units_run_existing_commands():
    units = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
    assert {u.name for u in units} >= {
        "huiyuan.service",
        "huiyuan-web.service",
        "huiyuan-worker@.service",
        "huiyuan-scheduler.service",
        "huiyuan-backup.service",
    }
    for unit in units:
        text = unit.read_text()
        (exec_start,) = re.findall(r"^ExecStart=(.+)$", text, re.M)
        (command,) = huiyuan_commands(exec_start.split())
        assert known(command), (unit.name, command)
        assert "EnvironmentFile=/etc/huiyuan/huiyuan.env" in text
        if "Type=oneshot" not in text:
            assert "Restart=always" in text and "StartLimitIntervalSec=0" in text


def test_compose_runs_every_part_with_existing_commands():
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) >= {"postgres", "pgbouncer", "redis", "web1", "worker", "scheduler"}
    assert services["postgres"]["image"] == "postgres:15"
    assert services["pgbouncer"]["environment"]["POOL_MODE"] == "transaction"
    for name in ("web1", "web2", "worker", "scheduler", "migrate"):
        (command,) = huiyuan_commands(services[name]["command"])
        assert known(command), (name, command)
        env = services[name]["environment"]
        if name != "migrate":
            assert env["HUIYUAN_PGBOUNCER"] == "1" and ":6432/" in env["DATABASE_URL"]
    assert ":5432/" in services["migrate"]["environment"]["DATABASE_URL"]
    assert "/readyz" in " ".join(services["web1"]["healthcheck"]["test"])
