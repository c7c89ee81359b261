"""``huiyuan worker``: run queued background tasks, from the database queue
(django-tasks-db) or from RQ on Redis (``HUIYUAN_TASK_BACKEND=rq``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

# RQ must build our tasks' jobs with django-tasks-rq's job class, which calls the Task.
RQ_JOB_CLASS = "django_tasks_rq.backend.Job"


class Command(BaseCommand):
    help = "Run the background-task worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="run what is queued, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.TASK_BACKEND == "rq":
            # --with-scheduler moves tasks deferred with run_after onto the queue when due.
            extra = ["--burst"] if options["batch"] else ["--with-scheduler"]
            call_command("rqworker", "default", "--job-class", RQ_JOB_CLASS, *extra)
            return
        call_command("db_worker", *(["--batch"] if options["batch"] else []))
