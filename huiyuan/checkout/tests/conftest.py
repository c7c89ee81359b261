"""Checkout fixtures: a small catalog and a funded card, made through the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from huiyuan.audit.models import AuditEvent
from huiyuan.catalog import services as catalog
from huiyuan.catalog.models import Product
from huiyuan.checkout.models import Sale, SaleLine, SaleReturn
from huiyuan.ledger.models import Entry, Lot
from huiyuan.ledger.tests.factories import balances, card, default_rule, key, lots
from huiyuan.points.services import points_adjust
from huiyuan.wallet.services import recharge_package_create, wallet_recharge


@dataclass
class Shop:
    coffee: Product  # 拿铁 ¥28.00 / 杯, drinks
    tea: Product  # 绿茶 ¥12.50 / 瓶, drinks
    cake: Product  # 蛋糕 ¥19.90 / 件, food, no discount
    petrol: Product  # 92# ¥7.89 / 升, fuel › petrol, divisible
    group_buy: Product  # 团购券 ¥99.00, no points, no discount


@pytest.fixture
def shop(owner) -> Shop:
    drinks = catalog.category_create(actor=owner, code="drinks", name="饮品")
    food = catalog.category_create(actor=owner, code="food", name="食品")
    fuel = catalog.category_create(actor=owner, code="fuel", name="油品")
    petrol = catalog.category_create(actor=owner, code="petrol", name="汽油", parent_id=fuel.pk)

    def make(sku: str, name: str, price: int, **extra: Any) -> Product:
        return catalog.product_create(
            actor=owner,
            data=catalog.ProductInput(sku=sku, name=name, list_price_fen=price, **extra),
        )

    return Shop(
        coffee=make(
            "A001", "拿铁", 2800, category_id=drinks.pk, unit="cup", barcode="6901234567892"
        ),
        tea=make("A002", "绿茶", 1250, category_id=drinks.pk, unit="bottle"),
        cake=make("B001", "蛋糕", 1990, category_id=food.pk, no_discount=True),
        petrol=make("FUEL-92", "92#汽油", 789, category_id=petrol.pk, unit="litre"),
        group_buy=make("G001", "团购券", 9900, no_points=True, no_discount=True),
    )


@pytest.fixture
def funded(owner, cashier):
    """A card with ¥500 principal, ¥50 bonus (package) and 1,000 points; 1 point per ¥1."""
    default_rule(owner)
    c = card(cashier, owner)
    package = recharge_package_create(actor=owner, name="充500送50", pay_fen=50000, bonus_fen=5000)
    wallet_recharge(
        actor=cashier,
        card_id=c.pk,
        amount_fen=50000,
        method="cash",
        package_id=package.pk,
        idempotency_key=key(),
    )
    points_adjust(actor=owner, card_id=c.pk, delta=1000, reason="开卡礼", idempotency_key=key())
    return c


def snapshot(c=None) -> tuple[Any, ...]:
    """Everything a refused checkout must leave unchanged."""
    return (
        balances(c) if c is not None else None,
        lots(c) if c is not None else None,
        Sale.objects.count(),
        SaleLine.objects.count(),
        SaleReturn.objects.count(),
        list(SaleLine.objects.order_by("pk").values_list("returned_milli", flat=True)),
        Entry.objects.count(),
        Lot.objects.count(),
        AuditEvent.objects.count(),
    )
