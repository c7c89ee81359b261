"""Who is knocking: the client's address and user name as django-axes records them, and the
response axes gives when it flags a lockout (the login view has already rendered it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from huiyuan.stores.signin import username_key


def axes_username(request: HttpRequest, credentials: Mapping[str, Any] | None) -> str:
    """The user name axes counts failures under (``username_key``)."""
    source: Mapping[str, Any] = credentials if credentials is not None else request.POST
    return username_key(str(source.get("username") or ""))


def failure_limit(request: HttpRequest | None, credentials: Mapping[str, Any] | None) -> int:
    """Failures that lock an account (``LOGIN_FAILURE_LIMIT``)."""
    return int(settings.LOGIN_FAILURE_LIMIT)


def cool_off(request: HttpRequest | None = None) -> dt.timedelta:
    """How long failures count, and a lock lasts (``LOGIN_FAILURE_WINDOW_SECONDS``)."""
    return dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponseBase | None = None,
    credentials: Mapping[str, Any] | None = None,
) -> HttpResponseBase:
    """Keep the view's own answer: the login pages render the lockout in Chinese themselves."""
    if original_response is not None:
        return original_response
    return HttpResponse(status=429)
