"""``/me`` (who is calling) and ``/stores`` (the stores in the caller's scope)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS
from huiyuan.api.schemas.stores import MeOut, StoreOut
from huiyuan.core.permissions import ROLE_LABELS, Actor
from huiyuan.stores import selectors
from huiyuan.stores.models import Store

me_router = Router(tags=["me"])
stores_router = Router(tags=["stores"])


def _me(actor: Actor) -> dict[str, object]:
    store = None
    if actor.terminal is not None:
        store = actor.terminal.store
    elif actor.store_id is not None:
        store = Store.objects.filter(pk=actor.store_id).first()
    return {
        "kind": "terminal" if actor.terminal is not None else "staff",
        "role": actor.role.value,
        "role_label": str(ROLE_LABELS[actor.role]),
        "staff": actor.staff,
        "terminal": actor.terminal,
        "store": store,
        "store_ids": sorted(actor.store_ids) if actor.store_ids is not None else None,
        "permissions": sorted(p.value for p in actor.perms),
    }


@me_router.get("", response={200: MeOut, **ERRORS}, summary="Who am I")
def me(request: HttpRequest) -> dict[str, object]:
    return _me(actor_of(request))


@stores_router.get("", response={200: list[StoreOut], **ERRORS}, summary="Stores in my scope")
def store_list(request: HttpRequest) -> list[Store]:
    return list(selectors.store_list(actor=actor_of(request)))
