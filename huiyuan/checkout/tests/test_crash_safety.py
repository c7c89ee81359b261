"""Crash safety (issue 16): checkouts through the real server while gunicorn workers are
SIGKILLed; afterwards every acknowledged sale exists exactly once, every unanswered one is
retried with its key to a definite answer, nothing is half-written and the ledger verifies
(``bench/crash.py`` does the work in its own process and database)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_killed_workers_lose_no_acknowledged_sale_and_write_nothing_half(database):
    if connection.vendor != "postgresql":
        pytest.skip("runs once, in the PostgreSQL phase (it starts its own server)")
    settings = connection.settings_dict
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    admin = f"postgres://{settings['USER']}@{host}:{port}/postgres"
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "crash.py"),
            "--database",
            database,
            "--pg-url",
            admin,
            "--seconds",
            "8",
            "--kill-every",
            "1.5",
            "--clients",
            "3",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    lines = out.stdout.strip().splitlines()
    assert lines, out.stderr[-3000:]
    result = json.loads(lines[-1])
    assert result["problems"] == [], result
    assert result["kills"] >= 3, result  # workers really died under load
    assert result["acknowledged"] > 0, result
    assert out.returncode == 0
