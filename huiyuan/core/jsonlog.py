"""JSON log lines (``HUIYUAN_LOG_FORMAT=json``), still without personal data.

One JSON object per line: ``time`` (UTC), ``level``, ``logger``, ``message`` and, inside a
request, its ``request_id`` — on every line a request causes, not only on its request line
(a context variable set by ``huiyuan.core.observability``). The request line adds
``actor`` (``staff:12``, ``terminal:3``: ids, never names), ``store_id``, ``method``,
``path`` (never the query string), ``route``, ``status`` and ``duration_ms``.

Each record is stamped with the request id when it is made (``install``, a record factory
like the redaction's), so a line keeps its id whenever and wherever it is formatted.

The record factory of ``huiyuan.core.logredact`` has already redacted the message and the
traceback; fields given through ``extra=`` are set on the record after the factory ran, so
this formatter redacts every text it writes once more.

Kept free of models: ``LOGGING`` loads it before the apps are ready.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
from typing import Any

from huiyuan.core.logredact import redact

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "huiyuan_request_id", default=None
)
# Extra fields copied from a record when present, in this order.
FIELDS = ("request_id", "actor", "store_id", "method", "path", "route", "status", "duration_ms")


def install() -> None:
    """Stamp every record made during a request with its id (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "stamping", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        request_id = REQUEST_ID.get()
        if request_id is not None:
            record.request_id = request_id
        return record

    factory.stamping = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            data["request_id"] = request_id
        for name in FIELDS[1:]:
            value = getattr(record, name, None)
            if value is not None:
                data[name] = redact(value) if isinstance(value, str) else value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data["exception"] = redact(record.exc_text)
        if record.stack_info:
            data["stack"] = redact(record.stack_info)
        return json.dumps(data, ensure_ascii=False, default=str)
