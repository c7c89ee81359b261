"""No personal data in any log line: mobiles, ID numbers and search text are redacted.

Searches carry personal data (``?q=13812345678``, ``?card=…``), and URLs end up in the
access log of every server they pass. Three layers keep them out of ours:

1. Searches by mobile or ID number are sent as POST bodies (the API's ``POST
   /members/search``, the console's search box and counter scan box), never in a URL.
2. gunicorn's access log leaves the query string and the referrer out
   (``ACCESS_LOG_FORMAT``, set by ``huiyuan serve`` through ``huiyuan.core.gunicorn_conf``).
3. Every log record made in the process is redacted as it is created (a record factory,
   ``install``): query-string values are masked, mobiles and ID numbers replaced, a card or
   member number in a ``/by-number/…`` or ``/by-code/…`` path dropped. Being a record
   factory rather than a handler filter, it covers every logger and every handler — Django's
   ``django.request`` and ``django.server``, gunicorn's access and error logs, a handler a
   library or a test adds later.

Settings use ``LOGGING_CONFIG = "huiyuan.core.logredact.configure"``, which installs the
factory and then applies ``LOGGING`` as Django would.
"""

from __future__ import annotations

import logging
import logging.config
import re
from typing import Any

# gunicorn's access-log line without the query string (%(q)s, part of %(r)s) or the
# referrer (%(f)s, another page's URL with its query string).
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s "%(a)s"'

MASK = "[redacted]"

# A path followed by its query string, up to a space or a quote.
_QUERY = re.compile(r"(?P<path>/[^\s\"'?#]*)\?(?P<query>[^\s\"'#]*)")
# Paths that name a card, member or receipt by its number.
_NUMBER_IN_PATH = re.compile(r"(?P<prefix>/by-(?:number|code)/)[^/\s\"'?#]+")
# A mainland mobile, with or without +86/86, not part of a longer number.
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86)?1[3-9][0-9]{9}(?![0-9])")
# An 18-character resident ID number (17 digits and a digit or X).
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


def _mask_query(query: str) -> str:
    """``q=138…&page=2`` → ``q=[redacted]&page=[redacted]``: the names stay, values go."""
    parts = []
    for part in query.split("&"):
        name, sep, _value = part.partition("=")
        parts.append(f"{name}={MASK}" if sep else MASK if name else "")
    return "&".join(parts)


def redact(text: str) -> str:
    """``text`` without query-string values, numbers in paths, mobiles and ID numbers."""
    text = _QUERY.sub(lambda m: f"{m['path']}?{_mask_query(m['query'])}", text)
    text = _NUMBER_IN_PATH.sub(lambda m: f"{m['prefix']}{MASK}", text)
    text = _MOBILE.sub("[mobile]", text)
    return _ID_NUMBER.sub("[id-number]", text)


_FORMATTER = logging.Formatter()
# Loggers whose exceptions carry a template context (django.template's "variable does not
# exist" at DEBUG): the message names the variable and template; the context is dropped.
_CONTEXT_DUMPERS = ("django.template",)


def redact_record(record: logging.LogRecord) -> None:
    """Rewrite ``record`` in place so that no handler can print what ``redact`` removes."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 — a malformed call is logging's to report, not ours
        return
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.name.startswith(_CONTEXT_DUMPERS):
        # Their exceptions print the whole template context: search text, addresses…
        record.exc_info = record.exc_text = None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(_FORMATTER.formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def install() -> None:
    """Redact every log record made from now on in this process (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacting", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redact_record(record)
        return record

    factory.redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def configure(config: dict[str, Any]) -> None:
    """``LOGGING_CONFIG``: install the redacting record factory, then apply ``LOGGING``."""
    install()
    logging.config.dictConfig(config)
