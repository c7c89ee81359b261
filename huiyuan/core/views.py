"""Probes and metrics: ``/healthz`` (liveness), ``/readyz`` (readiness), ``/metrics``."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from huiyuan.core.metrics import exposition
from huiyuan.core.readiness import readiness

# Headers a reverse proxy adds: a request carrying one came from elsewhere, whatever the
# connection's address says.
_FORWARDED = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def healthz(request: HttpRequest) -> JsonResponse:
    """Report whether the database answers; 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        return JsonResponse(
            {"status": "error", "database": "unreachable", "error": str(exc)[:200]}, status=503
        )
    return JsonResponse({"status": "ok", "database": "ok", "vendor": connection.vendor})


def readyz(request: HttpRequest) -> JsonResponse:
    """Whether this node can serve: database, migrations, its worker and scheduler, Redis.
    503 with the failing checks when not."""
    ready, checks = readiness()
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


def _from_this_machine(request: HttpRequest) -> bool:
    if any(name in request.headers for name in _FORWARDED):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _token_ok(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if not token or not header.lower().startswith("bearer "):
        return False
    return hmac.compare_digest(header[7:].strip().encode(), token.encode())


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics: from this machine (not through a proxy), or with
    ``Authorization: Bearer <HUIYUAN_METRICS_TOKEN>``."""
    if not (_token_ok(request) or _from_this_machine(request)):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")
