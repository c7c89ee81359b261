"""gunicorn settings for ``huiyuan serve`` (``gunicorn -c python:huiyuan.core.gunicorn_conf``).

The access log leaves out query strings and referrers, and every log record the server
makes is redacted (see ``huiyuan.core.logredact``): searches carry mobiles and ID numbers.
With ``HUIYUAN_LOG_FORMAT=json`` gunicorn's own lines are JSON too, and its access log is
off: the request middleware writes one JSON line per request (``huiyuan.request``).
"""

import os
from typing import Any

from huiyuan.core.logredact import ACCESS_LOG_FORMAT, install

install()  # in the master; workers fork from it, and Django installs it again on start-up

accesslog: str | None = "-"
access_log_format = ACCESS_LOG_FORMAT

if os.environ.get("HUIYUAN_LOG_FORMAT") == "json":
    accesslog = None
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "huiyuan.core.jsonlog.JsonFormatter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }


def child_exit(server: Any, worker: Any) -> None:
    """Multiprocess metrics: forget the live gauges of a worker that ended."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
