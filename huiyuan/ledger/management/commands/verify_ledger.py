"""``huiyuan verify-ledger``: exit non-zero when any balance disagrees with the entries."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from huiyuan.ledger.verify import verify_ledger


class Command(BaseCommand):
    help = "Re-derive every cached balance and lot remainder from the ledger entries."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_ledger()
        self.stdout.write(
            f"checked {report.accounts_checked} accounts, {report.transfers_checked} transfers, "
            f"{report.lots_checked} lots"
        )
        if report.ok:
            self.stdout.write(self.style.SUCCESS("ledger OK"))
            return
        for line in report.problems:
            self.stderr.write(line)
        self.stderr.write(self.style.ERROR(f"{len(report.problems)} problem(s) found"))
        sys.exit(1)
