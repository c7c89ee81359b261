"""``huiyuan serve``: migrate, collect static files, then run the web server (gunicorn),
the background-task worker and the periodic-job scheduler together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve huiyuan: web server, worker and scheduler."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2"))
        )
        parser.add_argument("--no-migrate", action="store_true")
        parser.add_argument(
            "--no-background", action="store_true", help="do not start the worker and scheduler"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        bind = f"{options['host']}:{options['port']}"
        huiyuan = [sys.executable, "-m", "huiyuan.cli"]
        children: list[subprocess.Popen[bytes]] = []
        if not options["no_background"]:
            children.append(subprocess.Popen([*huiyuan, "worker"]))
            children.append(subprocess.Popen([*huiyuan, "scheduler"]))
        self.stdout.write(
            f"huiyuan serving at http://{bind}/  (worker and scheduler: {len(children)} processes)"
        )
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                # Access log without query strings or referrers; redacted log records.
                "--config",
                "python:huiyuan.core.gunicorn_conf",
                "huiyuan.wsgi:application",
                "--bind",
                bind,
                "--workers",
                str(options["workers"]),
                "--threads",
                "4",
                "--timeout",
                "60",
            ]
        )

        def stop(signum: int, frame: object) -> None:
            for process in [web, *children]:
                if process.poll() is None:
                    process.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            code = web.wait()
        finally:
            stop(signal.SIGTERM, None)
            for process in children:
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
        sys.exit(code)
