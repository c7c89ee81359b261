"""Real threads on PostgreSQL: concurrent sale-outs under the refuse policy never take a
store below zero, and stock stays equal to its movements whatever the interleaving."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection

from huiyuan.checkout.models import Sale
from huiyuan.checkout.services import sale_complete
from huiyuan.core.races import race
from huiyuan.ledger.tests.factories import key
from huiyuan.stock import services
from huiyuan.stock.models import Movement
from huiyuan.stock.services import TransferLineInput
from huiyuan.stock.tests.conftest import assert_no_drift, basket, on_hand, paid, receive

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SELLERS = 8


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are tested on PostgreSQL (SQLite serialises writers)")


def test_concurrent_sales_under_refuse_never_go_below_zero(owner, cashier, stores, goods):
    shop, store = goods.shop, stores[0].pk
    services.stock_policy_set(actor=owner, below_zero="refuse")
    receive(owner, store, (shop.cake, 5000), (shop.coffee, 20_000))
    # Each sale wants 2 cakes (half of them through the bundle): 5 cakes, 8 sellers.
    data = [
        paid(cashier, basket((shop.cake, 2000)) if i % 2 else basket((goods.combo, 1000)))
        for i in range(SELLERS)
    ]
    results = race(
        *[(lambda d=d: sale_complete(actor=cashier, data=d, idempotency_key=key())) for d in data]
    )
    sold = [r for r in results if isinstance(r, Sale)]
    assert all(isinstance(r, Sale) or r == "stock_insufficient" for r in results), results
    assert len(sold) == 2  # 2 + 2 cakes; a third would need 6
    assert on_hand(store, shop.cake) == 1000
    assert Movement.objects.filter(kind="sale_out", product=shop.cake).count() == 2
    assert_no_drift()


def test_sales_racing_a_transfer_out_and_a_stocktake_stay_exact(owner, cashier, stores, shop):
    store = stores[0].pk
    services.stock_policy_set(actor=owner, below_zero="refuse")
    receive(owner, store, (shop.coffee, 6000))
    take = services.stocktake_create(
        actor=owner, store_id=store, product_ids=[shop.coffee.pk], idempotency_key=key()
    )
    services.stocktake_count(actor=owner, stocktake_id=take.pk, counts={shop.coffee.pk: 5000})
    sides: list[Callable[[], object]] = [
        (
            lambda: sale_complete(
                actor=cashier,
                data=paid(cashier, basket((shop.coffee, 1000))),
                idempotency_key=key(),
            )
        )
        for _ in range(4)
    ]
    sides.append(
        lambda: services.transfer_send(
            actor=owner,
            from_store_id=store,
            to_store_id=stores[1].pk,
            lines=[TransferLineInput(shop.coffee.pk, 2000)],
            idempotency_key=key(),
        )
    )
    sides.append(
        lambda: services.stocktake_post(actor=owner, stocktake_id=take.pk, idempotency_key=key())
    )
    results = race(*sides)
    assert not [r for r in results if isinstance(r, str) and r.startswith("crash")], results
    assert on_hand(store, shop.coffee) >= -1000  # the stocktake's −1 may follow the sales
    moved = sum(
        Movement.objects.filter(product=shop.coffee, store_id=store).values_list(
            "quantity_milli", flat=True
        )
    )
    assert on_hand(store, shop.coffee) == moved
    assert_no_drift()
