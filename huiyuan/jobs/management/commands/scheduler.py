"""``huiyuan scheduler``: enqueue periodic jobs, once per period across all schedulers."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from huiyuan.jobs.scheduler import tick


class Command(BaseCommand):
    help = "Run the periodic-job scheduler (expiry sweeps, tier evaluation, inactivity)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between checks")
        parser.add_argument("--once", action="store_true", help="check once and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            started = tick()
            for name in started:
                self.stdout.write(f"enqueued {name}")
            if options["once"]:
                return
            time.sleep(options["interval"])
