"""Error pages (400, 403, 404, 500, CSRF failure) in the console's layout and language.

A signed-in staff member gets the console's layout with its navigation; anyone else (and
every 500, which must render without the database) a plain page in the sign-in layout.
Each says what happened and what to do next. API paths keep the API's JSON errors: the API
has its own handlers, and ``/api/`` never reaches these views for its own errors.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _


def _texts(status: int) -> tuple[str, str]:
    return {
        400: (_("Bad request"), _("The request could not be understood. Go back and try again.")),
        403: (
            _("Not allowed"),
            _("Ask your store manager or head office if you need this."),
        ),
        404: (
            _("Page not found"),
            _("The page does not exist or was moved. Use the menu or search for a member."),
        ),
        500: (
            _("Something went wrong"),
            _(
                "The error was recorded. Try again in a moment; if it happens again, tell "
                "head office what you were doing."
            ),
        ),
    }[status]


def _page(request: HttpRequest, status: int, message: str = "", **extra: Any) -> HttpResponse:
    title, advice = _texts(status)
    context = {"status": status, "title": title, "advice": advice, "message": message, **extra}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and status != 500:
        return render(request, "console/error.html", context, status=status)
    return render(request, "console/error_plain.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else ""
    return _page(request, 403, message)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """No database, no context processors: a page that renders whatever failed."""
    title, advice = _texts(500)
    html = render_to_string(
        "console/error_plain.html",
        {"status": 500, "title": title, "advice": advice, "plain": True},
    )
    return HttpResponse(html, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _page(
        request,
        403,
        _(
            "The form had expired or was sent twice (security check). Go back, reload the "
            "page and submit it again."
        ),
        csrf=True,
    )
