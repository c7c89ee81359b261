"""``huiyuan check-deploy``: report what is missing or unsafe; exit 1 when unsafe."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from huiyuan.core.deploycheck import ERROR, deploy_check


class Command(BaseCommand):
    help = "Report what is missing or unsafe for a production deployment (exit 1 when unsafe)."
    requires_system_checks: list[str] = []  # run them as findings, not as a refusal to start

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="one JSON document")

    def handle(self, *args: Any, **options: Any) -> None:
        findings = deploy_check()
        errors = [f for f in findings if f.level == ERROR]
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"ok": not errors, "findings": [asdict(f) for f in findings]},
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            for f in findings:
                style = self.style.ERROR if f.level == ERROR else self.style.WARNING
                self.stdout.write(f"{style(f.level.upper()):<8} {f.code}: {f.message}")
            summary = f"{len(errors)} error(s), {len(findings) - len(errors)} warning(s)"
            if errors:
                self.stdout.write(self.style.ERROR(f"unsafe to deploy: {summary}"))
            else:
                self.stdout.write(self.style.SUCCESS(f"no blocking problem: {summary}"))
        if errors:
            sys.exit(1)
