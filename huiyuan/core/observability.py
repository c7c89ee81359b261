"""Per request: a request id, the request log line and the request metrics.

``RequestObservabilityMiddleware`` comes first in ``MIDDLEWARE``. It takes the caller's
``X-Request-ID`` when it is a plain token (letters, digits, ``._-``, at most 64) or makes
one, echoes it in the response's ``X-Request-ID``, and makes it the ``request_id`` of every
log line written while the request runs. When the response is ready it counts the request
(``huiyuan.core.metrics``) and logs one line on ``huiyuan.request`` (INFO; shown when
``HUIYUAN_LOG_FORMAT=json``, or with ``HUIYUAN_LOG_LEVEL=INFO``) with the request id, the
actor's id (``staff:12``, ``terminal:3``, never a name), the store id, the method, the
path without its query string, the route name, the status and the duration in ms.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponseBase

from huiyuan.core import metrics
from huiyuan.core.jsonlog import REQUEST_ID
from huiyuan.core.logredact import redact

log = logging.getLogger("huiyuan.request")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# The console keeps the store a staff member works at under this session key.
_SESSION_STORE_KEY = "store_id"


def request_id_of(request: HttpRequest) -> str:
    """The caller's ``X-Request-ID`` when it is a plain token, else a new one."""
    incoming = request.headers.get("X-Request-ID", "")
    return incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def route_of(request: HttpRequest) -> str:
    """The URL's name (``api:member_detail``): a label with a bounded set of values."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match.route or "unnamed"
    if request.path.startswith(settings.STATIC_URL):
        return "static"
    return "unmatched"


def actor_of(request: HttpRequest) -> tuple[str | None, int | None]:
    """(``staff:<id>`` or ``terminal:<id>``, store id) of whoever made the request."""
    auth = getattr(request, "auth", None)  # set by the API's authentication
    terminal, staff = getattr(auth, "terminal", None), getattr(auth, "staff", None)
    if terminal is not None:
        return f"terminal:{terminal.pk}", getattr(auth, "store_id", None)
    if staff is not None:
        return f"staff:{staff.pk}", getattr(auth, "store_id", None)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        session = getattr(request, "session", None)
        store_id = session.get(_SESSION_STORE_KEY) if session is not None else None
        return f"staff:{user.pk}", store_id if isinstance(store_id, int) else None
    return None, None


class RequestObservabilityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_of(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        # Kept until the response is closed (``request_finished``): Django logs a 4xx/5xx
        # on ``django.request`` after the middleware has returned.
        REQUEST_ID.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        response["X-Request-ID"] = request_id
        route, method = route_of(request), request.method or ""
        metrics.request_observed(route, method, response.status_code, seconds)
        if log.isEnabledFor(logging.INFO):
            actor, store_id = actor_of(request)
            path = redact(request.path)
            log.info(
                "%s %s %s %.1f ms",
                method,
                path,
                response.status_code,
                seconds * 1000,
                extra={
                    "actor": actor,
                    "store_id": store_id,
                    "method": method,
                    "path": path,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )
        return response


def _forget_request_id(**kwargs: object) -> None:
    REQUEST_ID.set(None)


request_finished.connect(_forget_request_id, dispatch_uid="huiyuan.observability.request_id")
