"""``huiyuan verify-stock``: exit non-zero when any on-hand disagrees with the movements."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from huiyuan.stock.verify import verify_stock


class Command(BaseCommand):
    help = "Re-derive every store's stock on hand from the stock movements."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_stock()
        self.stdout.write(
            f"checked {report.levels_checked} levels, {report.movements_checked} movements"
        )
        if report.ok:
            self.stdout.write(self.style.SUCCESS("stock OK"))
            return
        for line in report.problems:
            self.stderr.write(line)
        self.stderr.write(self.style.ERROR(f"{len(report.problems)} problem(s) found"))
        sys.exit(1)
