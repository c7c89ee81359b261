"""Keep one error format under /api/v1/ even for responses ninja builds itself."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

API_PREFIX = "/api/v1/"


class ApiMethodNotAllowedMiddleware:
    """A wrong method on an existing API path answers 405 in our error format."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith(API_PREFIX)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            allowed = response.get("Allow", "")
            body = {
                "error": {
                    "code": "method_not_allowed",
                    "message": _("This method is not allowed here."),
                    "details": {"allowed": [m.strip() for m in allowed.split(",") if m.strip()]},
                }
            }
            replaced = JsonResponse(body, status=405, json_dumps_params={"ensure_ascii": False})
            if allowed:
                replaced["Allow"] = allowed
            return replaced
        return response


__all__ = ["ApiMethodNotAllowedMiddleware"]
