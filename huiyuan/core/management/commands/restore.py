"""``huiyuan restore PATH [--database-url URL] [--force]``: restore a backup, then prove it.

The restore goes into the process's default database. ``--database-url`` names another:
the command then runs itself again in a child process whose ``DATABASE_URL`` is that URL,
so everything — the emptiness check, the restore, ``verify-ledger``, the comparison with
the manifest — talks to the target and nothing else.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huiyuan.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a backup into an empty database, then verify the ledger and the manifest."
    requires_system_checks: list[str] = []  # no URL or model checks needed to copy data

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the dump (its manifest lies next to it)")
        parser.add_argument(
            "--database-url", default="", help="the target database (default: DATABASE_URL)"
        )
        parser.add_argument(
            "--force", action="store_true", help="replace a database that is not empty"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["database_url"]
        if url and url != os.environ.get("DATABASE_URL"):
            self._run_against(url, options)
            return
        try:
            report = backup_restore(options["path"].resolve(), force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {report.dump.name}")
        self.stdout.write(f"verify-ledger: {report.accounts_checked} accounts checked")
        for line in report.ledger_problems:
            self.stderr.write(f"ledger: {line}")
        for line in report.differences:
            self.stderr.write(f"manifest: {line}")
        if not report.ok:
            raise CommandError(
                f"restore finished with {len(report.ledger_problems)} ledger problem(s) and "
                f"{len(report.differences)} difference(s) from the manifest"
            )
        self.stdout.write(self.style.SUCCESS("ledger OK, manifest checksum and counts match"))

    def _run_against(self, url: str, options: dict[str, Any]) -> None:
        argv = [sys.executable, "-m", "huiyuan.cli", "restore", str(options["path"].resolve())]
        argv += ["--database-url", url] + (["--force"] if options["force"] else [])
        result = subprocess.run(
            argv, env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True
        )
        self.stdout.write(result.stdout, ending="")
        self.stderr.write(result.stderr, ending="")
        if result.returncode != 0:
            raise CommandError(f"restore into the target failed (exit {result.returncode})")
