"""Stock through checkout's real services: sale-out, returns, reversals, bundles, the
below-zero policy and the quote's "库存不足" note."""

from __future__ import annotations

import pytest

from huiyuan.checkout.models import SaleLine
from huiyuan.checkout.services import (
    QuickSaleInput,
    sale_complete,
    sale_quick,
    sale_quote_basket,
    sale_return,
    sale_reverse,
)
from huiyuan.checkout.tests.conftest import snapshot
from huiyuan.core.errors import Conflict
from huiyuan.ledger.tests.factories import key
from huiyuan.stock import services
from huiyuan.stock.models import Movement
from huiyuan.stock.tests.conftest import (
    assert_no_drift,
    basket,
    on_hand,
    paid,
    receive,
    sell,
    stock_snapshot,
)


def test_a_sale_takes_tracked_products_out_and_ignores_the_rest(owner, cashier, stores, shop):
    store = stores[0].pk
    receive(owner, store, (shop.coffee, 10_000))
    sale = sell(cashier, (shop.coffee, 3000), (shop.tea, 1000))  # tea is not tracked
    assert on_hand(store, shop.coffee) == 7000
    moves = list(Movement.objects.filter(kind="sale_out"))
    assert [(m.product_id, m.quantity_milli, m.balance_after_milli) for m in moves] == [
        (shop.coffee.pk, -3000, 7000)
    ]
    assert moves[0].reference == f"sale:{sale.number}"
    assert moves[0].sale_line_id == SaleLine.objects.get(sale=sale, product=shop.coffee).pk
    assert_no_drift()


def test_a_quick_sale_moves_no_stock(owner, cashier, stores, shop):
    receive(owner, stores[0].pk, (shop.coffee, 10_000))
    before = stock_snapshot()
    sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=2800, external_method="cash"),
        idempotency_key=key(),
    )
    assert stock_snapshot() == before


def test_a_bundle_moves_its_components_and_a_partial_return_brings_them_back(
    owner, cashier, manager, stores, goods
):
    shop, store = goods.shop, stores[0].pk
    receive(owner, store, (shop.coffee, 10_000), (shop.cake, 10_000))
    sale = sell(cashier, (goods.combo, 3000))  # 3 × (1 拿铁 + 2 蛋糕)
    assert (on_hand(store, shop.coffee), on_hand(store, shop.cake)) == (7000, 4000)
    line = SaleLine.objects.get(sale=sale)
    sale_return(
        actor=manager,
        sale_id=sale.pk,
        lines=[(line.pk, 1000)],
        reason="退一份",
        idempotency_key=key(),
    )
    assert (on_hand(store, shop.coffee), on_hand(store, shop.cake)) == (8000, 6000)
    sale_return(
        actor=manager,
        sale_id=sale.pk,
        lines=[(line.pk, 2000)],
        reason="都退",
        idempotency_key=key(),
    )
    assert (on_hand(store, shop.coffee), on_hand(store, shop.cake)) == (10_000, 10_000)
    assert_no_drift()


def test_a_reversal_puts_back_every_line(owner, cashier, manager, stores, shop):
    store = stores[0].pk
    receive(owner, store, (shop.coffee, 5000), (shop.cake, 5000))
    sale = sell(cashier, (shop.coffee, 2000), (shop.cake, 1000))
    assert (on_hand(store, shop.coffee), on_hand(store, shop.cake)) == (3000, 4000)
    sale_reverse(actor=manager, sale_id=sale.pk, reason="冲正", idempotency_key=key())
    assert (on_hand(store, shop.coffee), on_hand(store, shop.cake)) == (5000, 5000)
    kinds = sorted(
        Movement.objects.filter(kind="return_in").values_list("quantity_milli", flat=True)
    )
    assert kinds == [1000, 2000]
    assert_no_drift()


def test_a_product_tracked_after_the_sale_is_not_returned_into_stock(
    owner, cashier, manager, stores, shop
):
    sale = sell(cashier, (shop.tea, 2000))  # not tracked when sold
    receive(owner, stores[0].pk, (shop.tea, 1000))  # tracked from now on
    line = SaleLine.objects.get(sale=sale)
    sale_return(
        actor=manager, sale_id=sale.pk, lines=[(line.pk, 2000)], reason="退", idempotency_key=key()
    )
    assert on_hand(stores[0].pk, shop.tea) == 1000


def test_allow_policy_sells_below_zero_with_a_note(owner, cashier, stores, shop):
    store = stores[0].pk
    receive(owner, store, (shop.coffee, 1000))
    data = paid(cashier, basket((shop.coffee, 3000), (shop.tea, 1000)))
    quote = sale_quote_basket(actor=cashier, data=data)
    notes = [(n.code, n.line_id, n.params["on_hand_milli"]) for n in quote.participant_notes]
    assert notes == [("stock.insufficient", 1, 1000)]
    sale = sale_complete(actor=cashier, data=data, idempotency_key=key())
    assert on_hand(store, shop.coffee) == -2000
    assert [n["code"] for n in sale.notes if n["code"].startswith("stock.")] == [
        "stock.insufficient"
    ]
    assert_no_drift()


def test_refuse_policy_refuses_the_sale_and_changes_nothing(owner, cashier, stores, goods):
    shop, store = goods.shop, stores[0].pk
    services.stock_policy_set(actor=owner, below_zero="refuse")
    receive(owner, store, (shop.coffee, 5000), (shop.cake, 3000))
    # 2 cakes on their own and 1 combo (2 more cakes): 4 wanted, 3 on hand.
    data = paid(cashier, basket((shop.cake, 2000), (goods.combo, 1000)))
    quote = sale_quote_basket(actor=cashier, data=data)
    assert [(n.code, n.line_id) for n in quote.participant_notes] == [
        ("stock.insufficient", 1),
        ("stock.insufficient", 2),
    ]
    before, money = stock_snapshot(), snapshot()
    with pytest.raises(Conflict) as refused:
        sale_complete(actor=cashier, data=data, idempotency_key=key())
    assert refused.value.code == "stock_insufficient"
    assert refused.value.details["product_id"] == shop.cake.pk
    assert (refused.value.details["on_hand_milli"], refused.value.details["wanted_milli"]) == (
        3000,
        4000,
    )
    assert stock_snapshot() == before
    assert snapshot() == money
    # Exactly what is on hand may be sold.
    sell(cashier, (shop.cake, 1000), (goods.combo, 1000))
    assert on_hand(store, shop.cake) == 0


def test_a_store_policy_overrides_the_chains(owner, cashier, stores, shop):
    services.stock_policy_set(actor=owner, below_zero="refuse")
    services.stock_policy_set(actor=owner, below_zero="allow", store_id=stores[0].pk)
    assert services.below_zero_policy(stores[0].pk) == "allow"
    assert services.below_zero_policy(stores[1].pk) == "refuse"
    receive(owner, stores[0].pk, (shop.coffee, 1000))
    sell(cashier, (shop.coffee, 2000))
    assert on_hand(stores[0].pk, shop.coffee) == -1000
    services.stock_policy_set(actor=owner, below_zero=None, store_id=stores[0].pk)
    assert services.below_zero_policy(stores[0].pk) == "refuse"


def test_an_untracked_product_is_never_refused(owner, cashier, stores, shop):
    services.stock_policy_set(actor=owner, below_zero="refuse")
    receive(owner, stores[0].pk, (shop.tea, 1000))
    services.stock_item_set(actor=owner, product_id=shop.tea.pk, tracked=False)
    sell(cashier, (shop.tea, 5000))
    assert on_hand(stores[0].pk, shop.tea) == 1000
