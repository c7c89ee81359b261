"""What the catalog pages share: who may do what here, and the page's product."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from huiyuan.catalog import selectors
from huiyuan.catalog.models import Product
from huiyuan.console.config.common import acting_staff
from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor, Perm


@dataclass(frozen=True)
class CatalogRights:
    manage: bool  # the chain's catalog and chain-wide prices
    store_price: bool  # the prices of the actor's stores


def catalog_viewer(request: HttpRequest) -> tuple[Actor, CatalogRights]:
    """The acting staff member (403 without ``catalog.view``) and what they may change."""
    actor = acting_staff(request, Perm.CATALOG_VIEW)
    return actor, CatalogRights(
        manage=actor.has(Perm.CATALOG_MANAGE), store_price=actor.has(Perm.CATALOG_STORE_PRICE)
    )


def product_or_404(product_id: int) -> Product:
    from django.http import Http404

    try:
        return selectors.product_get(product_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
