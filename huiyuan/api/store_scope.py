"""The store-scope policy (通存通兑, docs/store-scope.md): per operation, whether any store of
the chain may do it to another store's card, sale or member (``chain``) or only its own store
and head office (``home``).

Reading and changing need ``store.manage`` (owner, head office; scope ``configure`` for a
key). The change takes an ``Idempotency-Key``; operations not sent keep their reach.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from huiyuan.api.auth import actor_of
from huiyuan.api.idempotent import run_once
from huiyuan.api.schemas.common import ERRORS
from huiyuan.api.schemas.money import IdempotencyKey
from huiyuan.api.schemas.settings_api import StoreScopePolicyIn, StoreScopePolicyOut
from huiyuan.core.permissions import Perm, require
from huiyuan.stores import services
from huiyuan.stores.models import StoreScopePolicy
from huiyuan.stores.scope import OPS, scope_policy

router = Router(tags=["store scope"])


def _policy() -> dict[str, Any]:
    policy = scope_policy()
    return {
        "rules": [
            {
                "operation": op.value,
                "label": str(spec.label),
                "reach": policy[op].value,
                "default": spec.default.value,
                "configurable": spec.configurable,
            }
            for op, spec in OPS.items()
        ]
    }


@router.get(
    "/store-scope-policy",
    response={200: StoreScopePolicyOut, **ERRORS},
    summary="The store-scope policy (通存通兑), every operation with its reach",
)
def store_scope_policy(request: HttpRequest) -> dict[str, Any]:
    require(actor_of(request), Perm.STORE_MANAGE)
    return _policy()


@router.put(
    "/store-scope-policy",
    response={200: StoreScopePolicyOut, **ERRORS},
    summary="Change the reach of some operations",
)
def store_scope_policy_update(
    request: HttpRequest, payload: StoreScopePolicyIn, idempotency_key: str = IdempotencyKey
) -> dict[str, Any]:
    rules = {str(op): str(reach) for op, reach in payload.rules.items()}
    run_once(
        request,
        idempotency_key,
        "store_scope_policy.update",
        rules,
        lambda: services.store_scope_policy_update(actor=actor_of(request), rules=rules),
        lambda pk: StoreScopePolicy.objects.get(pk=pk),
    )
    return _policy()
