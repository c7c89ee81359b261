"""Basket sales and returns under real threads on PostgreSQL: two cashiers paying from one
balance never overdraw, a retried completion makes one sale, and of two returns racing
for the same line only the one that fits succeeds."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection

from huiyuan.checkout.models import Sale, SaleLine, SaleReturn
from huiyuan.checkout.services import (
    BasketSaleInput,
    ExternalPayment,
    SaleLineInput,
    sale_complete,
    sale_return,
)
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.ledger.tests.test_concurrency import run_threads
from huiyuan.ledger.verify import verify_ledger
from huiyuan.stores.models import Staff
from huiyuan.wallet.services import wallet_recharge

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency is tested on PostgreSQL (SQLite serialises writers)")


def _cashiers(stores) -> list:
    """Two cashiers at the first store, each with their own staff scope (their own keys)."""
    from huiyuan.stores.models import Staff

    tills = []
    for i in range(2):
        till = Staff(username=f"till{i}", display_name=f"till{i}", role=Role.CASHIER)
        till.set_unusable_password()
        till.default_store = stores[0]
        till.save()
        till.stores.set([stores[0]])
        tills.append(till.as_actor())
    return tills


def test_two_cashiers_paying_from_one_balance_never_overdraw(shop, owner, cashier, stores):
    c = card(cashier, owner)
    wallet_recharge(
        actor=cashier, card_id=c.pk, amount_fen=10_000, method="cash", idempotency_key=key()
    )
    tills = _cashiers(stores)
    basket = (SaleLineInput(product_id=shop.coffee.pk, quantity_milli=2000),)  # ¥56

    def pay(i: int) -> str:
        sale_complete(
            actor=tills[i % 2],
            data=BasketSaleInput(lines=basket, card_id=c.pk, balance_fen=5600),
            idempotency_key=f"till-{i}",
        )
        return "ok"

    results = Counter(run_threads(pay, count=8))
    # ¥100 holds one ¥56 basket; every other attempt is refused, none crash.
    assert results == {"ok": 1, "insufficient_balance": 7}, results
    assert balances(c)["principal"] == 10_000 - 5600
    assert SaleLine.objects.count() == 1
    report = verify_ledger()
    assert report.ok, report.problems


def test_a_retried_completion_makes_one_sale(shop, owner, cashier):
    c = card(cashier, owner)
    wallet_recharge(
        actor=cashier, card_id=c.pk, amount_fen=10_000, method="cash", idempotency_key=key()
    )
    data = BasketSaleInput(
        lines=(SaleLineInput(product_id=shop.tea.pk, quantity_milli=2000),),
        card_id=c.pk,
        balance_fen=1000,
        payments=(ExternalPayment("cash", 1500),),
    )
    shared = key()

    def complete(_i: int) -> int:
        return sale_complete(actor=cashier, data=data, idempotency_key=shared).pk

    results = run_threads(complete, count=8)
    assert len(set(results)) == 1 and isinstance(results[0], int), results
    assert (Sale.objects.count(), SaleLine.objects.count()) == (1, 1)
    assert balances(c)["principal"] == 9000


def test_two_returns_of_the_same_line_at_once_one_succeeds(shop, owner, cashier, stores):
    c = card(cashier, owner)
    wallet_recharge(
        actor=cashier, card_id=c.pk, amount_fen=10_000, method="cash", idempotency_key=key()
    )
    sale = sale_complete(
        actor=cashier,
        data=BasketSaleInput(
            lines=(SaleLineInput(product_id=shop.coffee.pk, quantity_milli=3000),),
            card_id=c.pk,
            balance_fen=8400,
        ),
        idempotency_key=key(),
    )
    line = SaleLine.objects.get(sale=sale)
    managers = [
        Staff.objects.get(username="manager").as_actor(),
        Staff.objects.get(username="owner").as_actor(store_id=stores[0].pk),
    ]

    def give_back(i: int) -> str:
        sale_return(
            actor=managers[i % 2],
            sale_id=sale.pk,
            lines=[(line.pk, 2000)],
            reason="退两杯",
            idempotency_key=f"return-{i}",
        )
        return "ok"

    results = Counter(run_threads(give_back, count=2))
    assert results == {"ok": 1, "return_exceeds_sold": 1}, results
    line.refresh_from_db()
    assert line.returned_milli == 2000
    assert SaleReturn.objects.count() == 1
    assert balances(c)["principal"] == 10_000 - 8400 + 5600
    report = verify_ledger()
    assert report.ok, report.problems
