"""What the stock pages share: who acts, what they may do, which stores they pick from."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest

from huiyuan.console.config.common import acting_staff
from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor, Perm
from huiyuan.stores import selectors as store_selectors
from huiyuan.stores.models import Store

PAGE_SIZE = 30


@dataclass(frozen=True)
class StockRights:
    manage: bool  # purchase-in, adjust, stocktake, transfer at the actor's stores
    configure: bool  # tracked products, selling-below-zero policy


def stock_viewer(request: HttpRequest) -> tuple[Actor, StockRights]:
    actor = acting_staff(request, Perm.STOCK_VIEW)
    return actor, StockRights(
        manage=actor.has(Perm.STOCK_MANAGE), configure=actor.has(Perm.STOCK_CONFIGURE)
    )


def my_stores(actor: Actor) -> list[Store]:
    """The open stores the actor works at (every store for head office)."""
    return [s for s in store_selectors.store_choices(actor=actor) if s.is_active]


def all_stores() -> list[Store]:
    return list(Store.objects.filter(is_active=True).order_by("code"))


def not_found(exc: NotFound) -> Http404:
    return Http404(str(exc.message))
