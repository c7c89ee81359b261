"""API v1: one NinjaAPI, one router per domain, one error format.

Every error leaves as ``{"error": {"code", "message", "field"?, "details"?}}`` with a stable
code; the message is in the request's language (``Accept-Language``, default zh-hans).
"""

from __future__ import annotations

import copy
import json
import logging
import re
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser

from huiyuan.api.auth import StaffSessionAuth, TerminalKeyAuth
from huiyuan.api.docs import LocalSwagger, docs_asset
from huiyuan.api.examples import document_add_examples
from huiyuan.api.retries import document_add_retry_notes
from huiyuan.api.schemas.common import ErrorOut
from huiyuan.core.bounds import BUSINESS_YEARS
from huiyuan.core.errors import DomainError

logger = logging.getLogger(__name__)

JSON = "application/json"


class UnsupportedMediaType(Exception):
    """A request body that is not ``application/json``."""


class JsonOnlyParser(Parser):
    """Bodies are JSON, sent as ``application/json`` (a charset parameter may follow)."""

    def parse_body(self, request: HttpRequest) -> Any:
        if request.content_type != JSON:
            raise UnsupportedMediaType(request.content_type)
        return super().parse_body(request)


class HuiyuanAPI(NinjaAPI):
    """The document carries an example for every request body and success response
    (``huiyuan/api/examples.py``)."""

    # The document depends only on the code and the language: built once per process (it
    # takes seconds with the examples), handed out as a copy (callers may change theirs).
    _documents: dict[tuple[str, ...], OpenAPISchema] = {}

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        key = (
            str(id(self)),
            str(path_prefix),
            json.dumps(path_params, sort_keys=True, default=str),
            translation.get_language() or "",
        )
        document = self._documents.get(key)
        if document is None:
            document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
            document_add_examples(document)
            document_add_retry_notes(document, (path_prefix or "/api/v1/").rstrip("/"))
            self._documents[key] = document
        return copy.deepcopy(document)


api = HuiyuanAPI(
    title="huiyuan API",
    version="1",
    description=(
        "Membership and loyalty API. Authenticate with a terminal API key "
        "(`Authorization: Bearer hy_…` or `X-API-Key: hy_…`) or a staff session. Errors are "
        '`{"error": {"code": "...", "message": "..."}}` with a stable code; messages follow '
        "`Accept-Language` (zh-hans by default). Money is integer fen (10000 = ¥100.00), "
        "times carry their offset (+08:00).\n\n"
        "**Versioning.** The version is in the path (`/api/v1/`); inside it changes are "
        "additive only (new operations, optional fields, response fields, error codes). "
        "Changelog: `docs/api-changelog.md`.\n\n"
        "**Retries and `Idempotency-Key`.** (1) Every write that moves money, points, "
        "coupons, stock or card uses requires the header, and so does every configuration "
        "edit. (2) Every write that creates a "
        "record (answers 201) takes it: required on newer operations, optional on older ones "
        "(required there would break v1 callers) — send it anyway. The same key with the "
        "same body answers the first result and records nothing twice; the same key with "
        "another body is refused (`409 idempotency_key_reused`) and changes nothing. Keys are "
        "per caller, 1–100 characters. (3) Every other write says in its description what a "
        "retry does: a read with a body changes nothing; a state change (a DELETE too) sent "
        "again is refused with a stable code naming the state already reached (409, or 404 "
        "once gone), or answers the state as it is; a setter (PUT/PATCH) leaves the same "
        "state. See `docs/api.md`."
    ),
    auth=[TerminalKeyAuth(), StaffSessionAuth()],
    urls_namespace="api",
    docs=LocalSwagger(settings={"validatorUrl": None}),
    parser=JsonOnlyParser(),
)


def _error(
    request: HttpRequest, status: int, code: str, message: str, **extra: object
) -> HttpResponse:
    body: dict[str, object] = {"code": code, "message": message}
    body.update({k: v for k, v in extra.items() if v is not None})
    return api.create_response(request, {"error": body}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, {"error": exc.as_dict()}, status=exc.status)
    retry_after = getattr(exc, "retry_after", None)  # a rate limit (429)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


# The steps pydantic adds to a location inside a union or a validator chain
# (``literal['cash','wechat']``, ``function-after[...]``, ``constrained-str``, ``int``…):
# they name a type tried, not a field.
_TYPE_STEP = re.compile(
    r"^(literal|function-[a-z]+|constrained-[a-z]+|lax-[a-z]+|json-or-python|nullable|"
    r"tagged-union|union|chain|is-instance|str|int|float|bool|none|date|datetime)(\[.*\])?$",
    re.DOTALL,
)
# Our own validators' error types that are worth a code of their own.
_OWN_CODES = {"date_out_of_range"}
IDEMPOTENCY_HEADER = "Idempotency-Key"


def _field_of(loc: list[str]) -> str | None:
    """``["body", "payload", "lunar_birthday", "month"]`` → ``lunar_birthday.month``;
    ``["body", "payload", "external_method", "literal['cash']"]`` → ``external_method``."""
    if not loc:
        return None
    rest = loc[2:] if loc[0] == "body" and len(loc) > 2 else loc[1:]
    return ".".join(p for p in rest if not _TYPE_STEP.match(p)) or None


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    details = [
        {"loc": [str(p) for p in e.get("loc", [])], "msg": str(e.get("msg", ""))}
        for e in exc.errors
    ]
    field = _field_of(details[0]["loc"]) if details else None  # type: ignore[arg-type]
    if field == IDEMPOTENCY_HEADER and details[0]["loc"][0] == "header":
        return _error(
            request,
            422,
            "idempotency_key_required",
            _("Send an Idempotency-Key header (1–100 characters)."),
            field=IDEMPOTENCY_HEADER,
        )
    code = str(exc.errors[0].get("type", "")) if exc.errors else ""
    if code in _OWN_CODES:
        return _error(
            request,
            422,
            code,
            _("Choose a date in the years %(first)s–%(last)s.")
            % {"first": BUSINESS_YEARS[0], "last": BUSINESS_YEARS[1]},
            field=field,
            details=details,
        )
    return _error(
        request,
        422,
        "invalid_request",
        _("The request is malformed."),
        field=field,
        details=details,
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(request, 401, "unauthenticated", _("Sign in or send a valid API key."))
    response["WWW-Authenticate"] = 'Bearer realm="huiyuan"'
    return response


def _unsupported_media_type(request: HttpRequest) -> HttpResponse:
    return _error(
        request,
        415,
        "unsupported_media_type",
        _("Send the request body as JSON (Content-Type: application/json)."),
    )


@api.exception_handler(UnsupportedMediaType)
def on_unsupported_media_type(request: HttpRequest, exc: UnsupportedMediaType) -> HttpResponse:
    return _unsupported_media_type(request)


@api.exception_handler(MultiPartParserError)
@api.exception_handler(UnreadablePostError)
def on_unreadable_body(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A form body that cannot be read (a multipart body without a boundary…): the API
    takes JSON only, so this is the wrong media type, not a server error."""
    return _unsupported_media_type(request)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and isinstance(exc.__cause__, UnsupportedMediaType):
        return _unsupported_media_type(request)
    if exc.status_code == 400:  # ninja could not parse the body (not JSON, not UTF-8)
        return _error(request, 400, "invalid_request", _("The request is malformed."))
    if exc.status_code == 403:  # ninja's session CSRF check
        return _error(
            request, 403, "csrf_failed", _("The CSRF check failed. Reload the page and retry.")
        )
    return _error(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(RequestDataTooBig)
@api.exception_handler(TooManyFieldsSent)
def on_too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 413, "request_too_large", _("The request is too large."))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled API error on %s %s", request.method, request.path)
    return _error(request, 500, "internal_error", _("An internal error occurred."))


@api.get(
    "/docs/assets/{name}",
    auth=None,
    include_in_schema=False,
    url_name="docs_asset",
)
def docs_asset_view(request: HttpRequest, name: str) -> FileResponse:
    return docs_asset(name)


from huiyuan.api import activities as _activities  # noqa: E402
from huiyuan.api import analytics as _analytics  # noqa: E402
from huiyuan.api import api_keys as _api_keys  # noqa: E402
from huiyuan.api import benefits as _benefits  # noqa: E402
from huiyuan.api import card_batches as _card_batches  # noqa: E402
from huiyuan.api import cards as _cards  # noqa: E402
from huiyuan.api import care as _care  # noqa: E402
from huiyuan.api import catalog as _catalog  # noqa: E402
from huiyuan.api import checkin as _checkin  # noqa: E402
from huiyuan.api import commission as _commission  # noqa: E402
from huiyuan.api import config as _config  # noqa: E402
from huiyuan.api import coupons as _coupons  # noqa: E402
from huiyuan.api import custom_fields as _custom_fields  # noqa: E402
from huiyuan.api import events as _events  # noqa: E402
from huiyuan.api import followups as _followups  # noqa: E402
from huiyuan.api import gifts as _gifts  # noqa: E402
from huiyuan.api import imports as _imports  # noqa: E402
from huiyuan.api import lotteries as _lotteries  # noqa: E402
from huiyuan.api import members as _members  # noqa: E402
from huiyuan.api import offline as _offline  # noqa: E402
from huiyuan.api import packages as _packages  # noqa: E402
from huiyuan.api import payments as _payments  # noqa: E402
from huiyuan.api import points as _points  # noqa: E402
from huiyuan.api import promotions as _promotions  # noqa: E402
from huiyuan.api import referrals as _referrals  # noqa: E402
from huiyuan.api import reports as _reports  # noqa: E402
from huiyuan.api import sales as _sales  # noqa: E402
from huiyuan.api import segments as _segments  # noqa: E402
from huiyuan.api import settlement as _settlement  # noqa: E402
from huiyuan.api import shifts as _shifts  # noqa: E402
from huiyuan.api import stock as _stock  # noqa: E402
from huiyuan.api import store_scope as _store_scope  # noqa: E402
from huiyuan.api import stores as _stores  # noqa: E402
from huiyuan.api import surveys as _surveys  # noqa: E402
from huiyuan.api import tags as _tags  # noqa: E402
from huiyuan.api import tiers as _tiers  # noqa: E402
from huiyuan.api import wallet as _wallet  # noqa: E402
from huiyuan.api import webhooks as _webhooks  # noqa: E402

api.add_router("/members", _members.router)
api.add_router("/me", _stores.me_router)
api.add_router("/stores", _stores.stores_router)
api.add_router("/catalog", _catalog.router)
api.add_router("/coupons", _coupons.router)
api.add_router("/stock", _stock.router)
# Money routers carry full paths (/cards/…, /members/{id}/cards, /sales/…).
api.add_router("", _cards.router)
api.add_router("", _card_batches.router)
api.add_router("", _wallet.router)
api.add_router("", _imports.router)
api.add_router("", _sales.router)
api.add_router("", _points.router)
api.add_router("", _tiers.router)
api.add_router("", _config.router)
api.add_router("", _offline.router)
api.add_router("", _reports.router)
api.add_router("", _events.router)
api.add_router("", _webhooks.router)
api.add_router("/shifts", _shifts.router)
api.add_router("/commission", _commission.router)
api.add_router("/settlement", _settlement.router)
api.add_router("", _gifts.router)
api.add_router("", _activities.router)
api.add_router("", _lotteries.router)
api.add_router("", _checkin.router)
api.add_router("", _packages.router)
api.add_router("", _benefits.router)
api.add_router("", _referrals.router)
api.add_router("", _promotions.router)
api.add_router("", _followups.router)
api.add_router("", _surveys.router)
api.add_router("", _segments.router)
api.add_router("", _analytics.router)
api.add_router("", _payments.router)
api.add_router("", _care.router)
api.add_router("", _tags.router)
api.add_router("", _custom_fields.router)
api.add_router("", _api_keys.router)
api.add_router("", _store_scope.router)

# Last: any other path under /api/v1/ answers in the error format, not with an HTML page.
_fallback = Router()


@_fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"],
    "/{path:rest}",
    auth=None,
    include_in_schema=False,
    response={404: ErrorOut},
)
def unknown_path(request: HttpRequest, rest: str) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found."))


api.add_router("", _fallback)
