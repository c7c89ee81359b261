"""API authentication: a staff session (with CSRF) or a terminal's API key.

A key acts with its role narrowed by its scopes (``Actor.scope_perms``: a refusal the role
would allow answers 403 ``scope_missing``) and within its requests per minute (429
``rate_limited`` with ``Retry-After``; ``huiyuan/stores/api_rate.py``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyHeader, SessionAuth

from huiyuan.core.permissions import Actor
from huiyuan.stores.api_rate import rate_require
from huiyuan.stores.models import Staff
from huiyuan.stores.services import api_key_authenticate

# The console keeps the store a staff member is working at under this session key.
SESSION_STORE_KEY = "store_id"


class TerminalKeyAuth(APIKeyHeader):
    """``Authorization: Bearer hy_…`` or ``X-API-Key: hy_…``."""

    param_name = "X-API-Key"

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            return self.authenticate(request, header[7:].strip())
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        if not key or len(key) > 200:
            return None
        api_key = api_key_authenticate(key)
        if api_key is None:
            return None
        # Counted by the key's public prefix: raises RateLimited (429) over the limit.
        rate_require(key=api_key.prefix, limit=api_key.rate_limit_per_minute)
        return api_key.as_actor()


class StaffSessionAuth(SessionAuth):
    """A signed-in staff member at the store chosen in the console (CSRF-checked)."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a signed-in user there is nothing to protect: answer 401, not a CSRF 403.
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        user = request.user
        if not isinstance(user, Staff) or not user.is_authenticated or not user.is_active:
            return None
        store_id = request.session.get(SESSION_STORE_KEY)
        allowed = user.store_id_set()
        if store_id is not None and allowed is not None and store_id not in allowed:
            store_id = None
        return user.as_actor(store_id=store_id)


def actor_of(request: HttpRequest) -> Actor:
    actor = request.auth  # type: ignore[attr-defined]
    assert isinstance(actor, Actor)
    return actor
