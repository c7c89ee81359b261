"""A throwaway PostgreSQL primary, optionally with a streaming replica and PgBouncer in
front, built from the server binaries in a temporary directory: ``initdb``,
``pg_basebackup -R`` and postmasters on free ports. Used by the replica test and by
``bench/production.py``. Everything runs as the ``postgres`` user when we are root
(postgres and pgbouncer refuse to run as root)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


def bindir() -> Path | None:
    """Where initdb and pg_basebackup are, or None."""
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    bin: Path
    root: Path
    primary_port: int
    replica_port: int | None = None
    pgbouncer_port: int | None = None
    as_postgres: list[str] = field(default_factory=list)

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.as_postgres, *args], check=True, capture_output=True, text=True, timeout=timeout
        )

    def url(self, db: str, port: int | None = None) -> str:
        return f"postgres://postgres@127.0.0.1:{port or self.primary_port}/{db}"

    def createdb(self, name: str) -> None:
        """Create ``name`` on the primary and wait until the replica has it too."""
        self.run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.primary_port),
                 "-U", "postgres", name)  # fmt: skip
        if self.replica_port is None:
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            probe = subprocess.run(
                [*self.as_postgres, str(self.bin / "psql"), "-h", "127.0.0.1",
                 "-p", str(self.replica_port), "-U", "postgres", "-d", name, "-Atc", "select 1"],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if probe.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"database {name} did not reach the replica in 30 s")


@contextmanager
def cluster(*, replica: bool = True, pgbouncer: bool = False) -> Iterator[Cluster]:
    """A primary (and its streaming replica, and PgBouncer in transaction pooling in front of
    the primary); all stopped and removed on exit."""
    found = bindir()
    if found is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_basebackup) are not installed")
    root = Path(tempfile.mkdtemp(prefix="huiyuan-pgcluster-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        as_postgres = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
    c = Cluster(found, root, free_port(), as_postgres=as_postgres)
    primary, standby = root / "primary", root / "replica"
    log = str(root / "postgres.log")  # the postmaster must not hold our stdout open
    options = (
        f"-c port={c.primary_port} -c listen_addresses=127.0.0.1 "
        f"-c unix_socket_directories={root} -c max_connections=200"
    )
    started: list[Path] = []
    bouncer_pid = root / "pgbouncer.pid"
    try:
        c.run(str(found / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust",
              "-E", "UTF8")  # fmt: skip
        with open(primary / "pg_hba.conf", "a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        c.run(str(found / "pg_ctl"), "-D", str(primary), "-o", options, "-l", log, "-w", "start")
        started.append(primary)
        if replica:
            c.replica_port = free_port()
            c.run(str(found / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(c.primary_port),
                  "-U", "postgres", "-D", str(standby), "-R", "-X", "stream")  # fmt: skip
            options2 = options.replace(f"port={c.primary_port}", f"port={c.replica_port}")
            c.run(str(found / "pg_ctl"), "-D", str(standby), "-o", options2, "-l", log,
                  "-w", "start")  # fmt: skip
            started.append(standby)
        if pgbouncer:
            c.pgbouncer_port = _pgbouncer_start(c, bouncer_pid)
        yield c
    finally:
        if bouncer_pid.exists():
            try:
                os.kill(int(bouncer_pid.read_text().strip()), 15)
            except (OSError, ValueError):
                pass
        for data in reversed(started):
            subprocess.run(
                [*as_postgres, str(found / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)


def _pgbouncer_start(c: Cluster, pidfile: Path) -> int:
    """PgBouncer in transaction pooling, as production runs it (deploy/pgbouncer/)."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        raise RuntimeError("pgbouncer is not installed (apt-get install pgbouncer)")
    port = free_port()
    (c.root / "userlist.txt").write_text('"postgres" ""\n')
    (c.root / "pgbouncer.ini").write_text(
        f"""[databases]
* = host=127.0.0.1 port={c.primary_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir = {c.root}
auth_type = trust
auth_file = {c.root / "userlist.txt"}
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
ignore_startup_parameters = extra_float_digits,options
logfile = {c.root / "pgbouncer.log"}
pidfile = {pidfile}
"""
    )
    if c.as_postgres:
        for name in ("userlist.txt", "pgbouncer.ini"):
            shutil.chown(c.root / name, "postgres")
    c.run(binary, "-d", str(c.root / "pgbouncer.ini"))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return port
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"pgbouncer did not listen on {port}; see {c.root / 'pgbouncer.log'}")
