"""API keys: list, create (the key shown once), change scopes and rate limit, revoke.

Needs ``apikey.manage`` (owner, head office, store managers — scope ``configure`` for a
key), on terminals of the caller's stores (``store_forbidden`` otherwise). A caller cannot
give a key more than it may do itself (``scopes_exceed_caller``): a key cannot raise its own
scopes or make a broader one. Every write takes an ``Idempotency-Key``; a replay of a
creation answers the same key's row with ``key`` null — the secret exists in the first
answer only (the server keeps a hash).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.idempotent import run_once
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.money import IdempotencyKey
from huiyuan.api.schemas.settings_api import (
    ApiKeyCreatedOut,
    ApiKeyCreateIn,
    ApiKeyLimitsIn,
    ApiKeyOut,
    ApiKeyRevokeIn,
)
from huiyuan.stores import selectors, services
from huiyuan.stores.models import ApiKey

router = Router(tags=["api keys"])

ApiKeyId = Path(..., ge=1, le=MAX_ID, description="API key id.")
MAX_LIST = 1000


def _out(api_key: ApiKey, secret: str | None = None) -> dict[str, Any]:
    return {
        "id": api_key.pk,
        "name": api_key.name,
        "prefix": api_key.prefix,
        "terminal_id": api_key.terminal_id,
        "store_id": api_key.terminal.store_id,
        "role": api_key.role,
        "scopes": list(api_key.scopes or []),
        "rate_limit_per_minute": api_key.rate_limit_per_minute,
        "is_active": api_key.is_active,
        "created_at": api_key.created_at,
        "last_used_at": api_key.last_used_at,
        "revoked_at": api_key.revoked_at,
        "key": secret,
    }


def _load(pk: int) -> ApiKey:
    return ApiKey.objects.select_related("terminal").get(pk=pk)


@router.get(
    "/api-keys",
    response={200: list[ApiKeyOut], **ERRORS},
    summary="API keys of my stores' terminals (never the key itself)",
)
def api_key_list(request: HttpRequest) -> list[dict[str, Any]]:
    keys = selectors.api_key_list(actor=actor_of(request))[:MAX_LIST]
    return [_out(k) for k in keys]


@router.post(
    "/api-keys",
    response={201: ApiKeyCreatedOut, **ERRORS},
    summary="Create an API key for a terminal (the key is shown once)",
)
def api_key_create(
    request: HttpRequest, payload: ApiKeyCreateIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    secrets: dict[int, str] = {}

    def perform() -> ApiKey:
        api_key, secret = services.api_key_create(actor=actor_of(request), **payload.dict())
        secrets[api_key.pk] = secret
        return api_key

    api_key = run_once(request, idempotency_key, "api_key.create", payload.dict(), perform, _load)
    return Status(201, _out(api_key, secrets.get(api_key.pk)))


@router.patch(
    "/api-keys/{int:api_key_id}",
    response={200: ApiKeyOut, **ERRORS},
    summary="Change a key's scopes and/or requests per minute (the fields sent)",
)
def api_key_update(
    request: HttpRequest,
    payload: ApiKeyLimitsIn,
    api_key_id: int = ApiKeyId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    changes = payload.dict(exclude_none=True)
    api_key = run_once(
        request,
        idempotency_key,
        f"api_key.update.{api_key_id}",
        changes,
        lambda: services.api_key_update(actor=actor_of(request), api_key_id=api_key_id, **changes),
        _load,
    )
    return _out(_load(api_key.pk))


@router.post(
    "/api-keys/{int:api_key_id}/revoke",
    response={200: ApiKeyOut, **ERRORS},
    summary="Revoke a key (it stops working at once)",
)
def api_key_revoke(
    request: HttpRequest,
    payload: ApiKeyRevokeIn,
    api_key_id: int = ApiKeyId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    api_key = run_once(
        request,
        idempotency_key,
        f"api_key.revoke.{api_key_id}",
        {},
        lambda: services.api_key_revoke(actor=actor_of(request), api_key_id=api_key_id),
        _load,
    )
    return _out(_load(api_key.pk))
