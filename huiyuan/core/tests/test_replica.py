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
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from huiyuan.core.replica import ReplicaRouter, on_replica, replica_reads
from huiyuan.ledger.models import Account

ROOT = Path(__file__).resolve().parents[3]


def _bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        path = Path(out.stdout.strip())
        if (path / "initdb").exists():
            return path
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
    bindir = _bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_basebackup) are not installed")
    tmp_path = Path(tempfile.mkdtemp(prefix="huiyuan-replica-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        as_postgres = ["runuser", "-u", "postgres", "--"]
        shutil.chown(tmp_path, "postgres")
    primary, replica = tmp_path / "primary", tmp_path / "replica"
    p1, p2 = _free_port(), _free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_postgres, *args], check=True, capture_output=True, timeout=120)

    run(str(bindir / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    with open(primary / "pg_hba.conf", "a") as hba:
        hba.write("host replication all 127.0.0.1/32 trust\n")
    options = f"-c port={p1} -c listen_addresses=127.0.0.1 -c unix_socket_directories={tmp_path}"
    log = str(tmp_path / "postgres.log")  # the postmaster must not hold our stdout open
    run(str(bindir / "pg_ctl"), "-D", str(primary), "-o", options, "-l", log, "-w", "start")
    try:
        run(str(bindir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(p1), "-U", "postgres",
            "-D", str(replica), "-R", "-X", "stream")  # fmt: skip
        options2 = options.replace(f"port={p1}", f"port={p2}")
        run(str(bindir / "pg_ctl"), "-D", str(replica), "-o", options2, "-l", log, "-w", "start")
        try:
            run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(p1), "-U", "postgres",
                "huiyuan")  # fmt: skip
            env = {
                **os.environ,
                "DATABASE_URL": f"postgres://postgres@127.0.0.1:{p1}/huiyuan",
                "DATABASE_REPLICA_URL": f"postgres://postgres@127.0.0.1:{p2}/huiyuan",
                "PYTHONPATH": str(ROOT),
            }
            env.pop("DJANGO_SETTINGS_MODULE", None)
            deadline = time.monotonic() + 30
            while True:  # the new database reaches the replica
                probe = subprocess.run(
                    [*as_postgres, str(bindir / "psql"), "-h", "127.0.0.1", "-p", str(p2),
                     "-U", "postgres", "-d", "huiyuan", "-Atc", "select 1"],
                    capture_output=True, text=True, check=False,
                )  # fmt: skip
                if probe.returncode == 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
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
        finally:
            run(str(bindir / "pg_ctl"), "-D", str(replica), "-m", "immediate", "stop")
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(primary), "-m", "immediate", "stop")
    shutil.rmtree(tmp_path, ignore_errors=True)
    assert seen == {
        "report_during_pause": 10_000,  # the replica, replay paused: the second recharge unseen
        "counter_during_pause": 15_000,  # the counter reads the primary
        "report_after": 15_000,  # replay resumed: the report caught up
        "replica_alias": True,
    }
