"""Stock fixtures: checkout's small catalog, a bundle, and helpers made through services."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from huiyuan.catalog import services as catalog
from huiyuan.catalog.models import Product
from huiyuan.checkout.services import (
    BasketSaleInput,
    ExternalPayment,
    SaleLineInput,
    sale_complete,
    sale_quote_basket,
)
from huiyuan.checkout.tests.conftest import Shop, funded, shop  # noqa: F401 - fixtures
from huiyuan.core.permissions import Actor, Role
from huiyuan.ledger.tests.factories import key
from huiyuan.stock import services
from huiyuan.stock.models import Movement, StockLevel, Stocktake, Transfer
from huiyuan.stock.verify import verify_stock


@dataclass
class Goods:
    shop: Shop
    combo: Product  # 套餐: 1 拿铁 + 2 蛋糕, ¥55.00


@pytest.fixture
def goods(owner, shop) -> Goods:  # noqa: F811
    combo = catalog.product_create(
        actor=owner,
        data=catalog.ProductInput(
            sku="COMBO1", name="下午茶套餐", list_price_fen=5500, kind="bundle"
        ),
    )
    catalog.bundle_set_items(
        actor=owner,
        bundle_id=combo.pk,
        items=[
            catalog.BundleItemInput(product_id=shop.coffee.pk, quantity_milli=1000),
            catalog.BundleItemInput(product_id=shop.cake.pk, quantity_milli=2000),
        ],
    )
    return Goods(shop=shop, combo=combo)


@pytest.fixture
def manager(actors) -> Actor:
    return actors[Role.STORE_MANAGER]


def receive(actor: Actor, store_id: int, *pairs: tuple[Product, int], cost: int = 100):
    return services.purchase_receive(
        actor=actor,
        store_id=store_id,
        supplier="供应商甲",
        lines=[services.PurchaseLineInput(p.pk, q, cost) for p, q in pairs],
        idempotency_key=key(),
    )


def on_hand(store_id: int, product: Product) -> int:
    return (
        StockLevel.objects.filter(store_id=store_id, product=product)
        .values_list("on_hand_milli", flat=True)
        .first()
        or 0
    )


def basket(*pairs: tuple[Product, int]) -> BasketSaleInput:
    lines = tuple(SaleLineInput(product_id=p.pk, quantity_milli=q) for p, q in pairs)
    return BasketSaleInput(lines=lines)


def paid(actor: Actor, data: BasketSaleInput) -> BasketSaleInput:
    """The basket paid in cash, exactly what the quote says is due."""
    quote = sale_quote_basket(actor=actor, data=data)
    return replace(data, payments=(ExternalPayment("cash", quote.priced.external_fen),))


def sell(actor: Actor, *pairs: tuple[Product, int]):
    data = paid(actor, basket(*pairs))
    return sale_complete(actor=actor, data=data, idempotency_key=key())


def stock_snapshot() -> tuple:
    """Everything a refused stock operation must leave unchanged."""
    return (
        sorted(StockLevel.objects.values_list("store_id", "product_id", "on_hand_milli")),
        Movement.objects.count(),
        Stocktake.objects.count(),
        Transfer.objects.count(),
    )


def assert_no_drift() -> None:
    report = verify_stock()
    assert report.ok, report.problems
