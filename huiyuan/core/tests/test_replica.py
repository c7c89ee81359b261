"""Reports read from a streaming replica, money paths never (``huiyuan.core.replica``).

The PostgreSQL test builds a real primary and a real streaming replica of it in a
temporary directory (``initdb``, ``pg_basebackup -R``, two postmasters on free ports) and
runs ``replica_scenario.py`` against them: with the replica's replay paused, a recharge is
missing from the report (served by the replica) but present on the counter's read (served
by the primary); once replay resumes the report catches up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction

from huiyuan.core.replica import ReplicaRouter, on_replica, replica_reads
from huiyuan.core.tests import pgcluster
from huiyuan.ledger.models import Account

ROOT = Path(__file__).resolve().parents[3]


def test_without_a_replica_reads_stay_on_default():
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_read(Account) is None
    assert router.db_for_write(Account) == "default"


def test_inside_a_transaction_reads_stay_on_default(monkeypatch, transactional_db):
    monkeypatch.setattr("huiyuan.core.replica.replica_configured", lambda: True)
    router = ReplicaRouter()

    @on_replica
    def read() -> str | None:
        return router.db_for_read(Account)

    assert read() == "replica"
    with transaction.atomic():
        assert read() is None  # read-your-writes
    assert router.db_for_read(Account) is None  # outside ``on_replica``


@pytest.mark.postgres
def test_a_report_is_served_by_a_real_streaming_replica():
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL phase")
    if pgcluster.bindir() is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_basebackup) are not installed")
    with pgcluster.cluster(replica=True) as c:
        c.createdb("huiyuan")
        env = {
            **os.environ,
            "DATABASE_URL": c.url("huiyuan"),
            "DATABASE_REPLICA_URL": c.url("huiyuan", c.replica_port),
            "PYTHONPATH": str(ROOT),
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        out = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("replica_scenario.py"))],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {
        "report_during_pause": 10_000,  # the replica, replay paused: the second recharge unseen
        "counter_during_pause": 15_000,  # the counter reads the primary
        "report_after": 15_000,  # replay resumed: the report caught up
        "replica_alias": True,
    }
