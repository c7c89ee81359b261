"""What the configuration and report pages share: the permission check, refusals, xlsx."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import HttpRequest, HttpResponse

from huiyuan.console.context import request_actor
from huiyuan.core.errors import DomainError
from huiyuan.core.errors import PermissionDenied as DomainPermissionDenied
from huiyuan.core.permissions import Actor, Perm, require

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def acting_staff(request: HttpRequest, perm: Perm) -> Actor:
    """The acting staff member, refused with 403 unless they hold ``perm``."""
    actor = request_actor(request)
    try:
        require(actor, perm)
    except DomainPermissionDenied as exc:
        raise HttpForbidden(str(exc.message)) from exc
    return actor


def refuse_if_forbidden(exc: DomainError) -> None:
    """A permission refusal goes on to the 403 page; other refusals are the caller's to show."""
    if isinstance(exc, DomainPermissionDenied):
        raise HttpForbidden(str(exc.message)) from exc


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    """A spreadsheet download."""
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
