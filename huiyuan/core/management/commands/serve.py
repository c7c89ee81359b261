"""``huiyuan serve``: migrate, collect static files, then run the web server (gunicorn),
the background-task worker and the periodic-job scheduler together.

The worker and the scheduler are supervised: one that dies is started again with backoff
(``huiyuan.core.supervise``), and ``/readyz`` reports them (their heartbeats and restart
counts under ``HUIYUAN_RUN_DIR``). Metrics of all the processes are gathered through
prometheus_client's multiprocess mode in ``<run dir>/prometheus`` (wiped at each start).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from huiyuan.core.readiness import heartbeat_path, supervisor_write
from huiyuan.core.supervise import Supervisor

BACKGROUND = ("worker", "scheduler")


def prepare_run_dir(run_dir: Path, *, background: bool) -> dict[str, str]:
    """Create the run directory, forget the last run's heartbeats and metrics, and return
    the environment the children get."""
    run_dir.mkdir(parents=True, exist_ok=True)
    for role in BACKGROUND:
        heartbeat_path(role, run_dir).unlink(missing_ok=True)
    env = {"HUIYUAN_RUN_DIR": str(run_dir)}
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = run_dir / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir()
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    if background:
        env["HUIYUAN_READY_BACKGROUND"] = ",".join(BACKGROUND)
    return env


class Command(BaseCommand):
    help = "Serve huiyuan: web server, worker and scheduler (restarted if they die)."

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
        background = not options["no_background"]
        os.environ.update(prepare_run_dir(Path(settings.RUN_DIR), background=background))
        bind = f"{options['host']}:{options['port']}"
        huiyuan = [sys.executable, "-m", "huiyuan.cli"]
        supervisor = Supervisor.of(
            {role: [*huiyuan, role] for role in (BACKGROUND if background else ())},
            on_change=supervisor_write,
        )
        supervisor.start()
        self.stdout.write(
            f"huiyuan serving at http://{bind}/  "
            f"(worker and scheduler: {len(supervisor.children)} processes, supervised)"
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
            supervisor.stopping = True
            if web.poll() is None:
                web.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while web.poll() is None:
                supervisor.poll()
                time.sleep(1.0)
            code = web.wait()
        finally:
            stop(signal.SIGTERM, None)
            supervisor.stop()
        sys.exit(code)
