"""Catalog fixtures: a small catalog made through the services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from huiyuan.audit.models import AuditEvent
from huiyuan.catalog import services
from huiyuan.catalog.models import BundleItem, Category, PriceChange, Product
from huiyuan.core.permissions import Actor, Role


@pytest.fixture
def manager(actors) -> Actor:
    """The first store's manager (store-scoped)."""
    return actors[Role.STORE_MANAGER]


@pytest.fixture
def make_product(owner) -> Callable[..., Product]:
    def make(sku: str = "A001", name: str = "拿铁咖啡", list_price_fen: int = 2800, **extra: Any):
        return services.product_create(
            actor=owner,
            data=services.ProductInput(sku=sku, name=name, list_price_fen=list_price_fen, **extra),
        )

    return make


@pytest.fixture
def fuel(owner) -> Category:
    """油品 › 汽油, the category of the fuel grades."""
    top = services.category_create(actor=owner, code="fuel", name="油品")
    return services.category_create(actor=owner, code="petrol", name="汽油", parent_id=top.pk)


@pytest.fixture
def petrol92(make_product, fuel) -> Product:
    return make_product(
        sku="FUEL-92", name="92#汽油", list_price_fen=789, unit="litre", category_id=fuel.pk
    )


def catalog_snapshot() -> tuple[Any, ...]:
    """Every catalog row and the audit count: what a refusal must leave unchanged."""
    return (
        list(Category.objects.order_by("pk").values()),
        list(Product.objects.order_by("pk").values()),
        list(PriceChange.objects.order_by("pk").values()),
        list(BundleItem.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )
