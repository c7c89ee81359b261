"""``huiyuan backup``: dump the database with a manifest next to it (docs/deploy.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from huiyuan.core.backup import BackupError, backup_create, backups_prune
from huiyuan.core.money import fen_to_yuan_str


class Command(BaseCommand):
    help = "Back up the database (pg_dump -Fc, or SQLite's online backup) with a manifest."
    requires_system_checks: list[str] = []  # no URL or model checks needed to copy data

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            help="a file, or a directory for a dated file (default: HUIYUAN_BACKUP_DIR)",
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help="then delete the dumps in that directory that retention lets go "
            "(HUIYUAN_BACKUP_KEEP_DAYS, HUIYUAN_BACKUP_KEEP_MONTHS)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            output = options["output"]
            result = backup_create(
                Path(output) if output else None,
                directory=bool(output) and output.endswith(("/", os.sep)),
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        facts = result.facts
        self.stdout.write(f"dump      {result.dump} ({facts['dump_bytes']} bytes)")
        self.stdout.write(f"manifest  {result.manifest}")
        for kind, row in facts["ledger_checksum"].items():
            amount = row["balance"] if kind == "points" else fen_to_yuan_str(row["balance"])
            self.stdout.write(f"  {kind:<10} {row['accounts']:>8} accounts  {amount}")
        if options["prune"]:
            removed = backups_prune(
                result.dump.parent,
                keep_days=settings.BACKUP_KEEP_DAYS,
                keep_months=settings.BACKUP_KEEP_MONTHS,
            )
            for path in removed:
                self.stdout.write(f"pruned    {path.name}")
        self.stdout.write(self.style.SUCCESS("backup OK"))
