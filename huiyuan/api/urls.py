"""API v1: one NinjaAPI, one router per domain, one error format."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from huiyuan.api.auth import StaffSessionAuth, TerminalKeyAuth
from huiyuan.core.errors import DomainError

api = NinjaAPI(
    title="huiyuan API",
    version="1",
    description=(
        "Membership and loyalty API. Authenticate with a terminal API key "
        "(`Authorization: Bearer hy_…`) or a staff session. Errors are "
        '`{"error": {"code": "...", "message": "..."}}` with a stable code.'
    ),
    auth=[TerminalKeyAuth(), StaffSessionAuth()],
    urls_namespace="api",
)


def _error(
    request: HttpRequest, status: int, code: str, message: str, **extra: object
) -> HttpResponse:
    body: dict[str, object] = {"code": code, "message": message, **extra}
    return api.create_response(request, {"error": body}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, {"error": exc.as_dict()}, status=exc.status)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    details = [
        {"loc": [str(p) for p in e.get("loc", [])], "msg": str(e.get("msg", ""))}
        for e in exc.errors
    ]
    return _error(request, 422, "invalid_request", _("The request is malformed."), details=details)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", _("Sign in or send a valid API key."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "http_error", str(exc))


from huiyuan.api import members as _members  # noqa: E402

api.add_router("/members", _members.router)
