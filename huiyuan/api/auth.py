"""API authentication: a staff session (with CSRF) or a terminal's API key."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyHeader, SessionAuth

from huiyuan.core.permissions import Actor
from huiyuan.stores.services import api_key_authenticate


class TerminalKeyAuth(APIKeyHeader):
    """``Authorization: Bearer hy_…`` or ``X-API-Key: hy_…``."""

    param_name = "X-API-Key"

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            return self.authenticate(request, header[7:].strip())
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        if not key:
            return None
        api_key = api_key_authenticate(key)
        return api_key.as_actor() if api_key else None


class StaffSessionAuth(SessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        user = super().authenticate(request, key)
        if user is None or not user.is_active:
            return None
        return user.as_actor(store_id=request.session.get("store_id"))


def actor_of(request: HttpRequest) -> Actor:
    actor = request.auth  # type: ignore[attr-defined]
    assert isinstance(actor, Actor)
    return actor
