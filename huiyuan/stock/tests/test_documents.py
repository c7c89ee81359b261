"""Purchase-in, adjustment, stocktake and transfer: exact quantities, refusals that change
nothing, idempotent replays and store scope."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from huiyuan.audit.models import AuditEvent
from huiyuan.core.errors import Conflict, DomainError, PermissionDenied
from huiyuan.ledger.tests.factories import key
from huiyuan.stock import selectors, services
from huiyuan.stock.models import Movement, StockLevel, Stocktake, StocktakeLine, Transfer
from huiyuan.stock.services import PurchaseLineInput, TransferLineInput
from huiyuan.stock.tests.conftest import assert_no_drift, on_hand, receive, sell, stock_snapshot


def test_purchase_in_records_supplier_and_cost_and_replays(manager, stores, shop):
    store = stores[0].pk
    lines = [
        PurchaseLineInput(shop.petrol.pk, 12_345, 650),
        PurchaseLineInput(shop.cake.pk, 3000, 1000),
    ]
    k = key()
    first = services.purchase_receive(
        actor=manager, store_id=store, supplier="中石化", lines=lines, idempotency_key=k
    )
    again = services.purchase_receive(
        actor=manager, store_id=store, supplier="中石化", lines=lines, idempotency_key=k
    )
    assert again.pk == first.pk
    assert first.total_cost_fen == 8024 + 3000  # 12.345 L × ¥6.50 = ¥80.2425 → ¥80.24
    assert (on_hand(store, shop.petrol), on_hand(store, shop.cake)) == (12_345, 3000)
    move = Movement.objects.get(product=shop.petrol)
    assert (move.kind, move.supplier, move.unit_cost_fen, move.cost_fen) == (
        "purchase_in",
        "中石化",
        650,
        8024,
    )
    assert AuditEvent.objects.filter(action="stock.purchase_received").count() == 1
    with pytest.raises(DomainError) as reused:
        services.purchase_receive(
            actor=manager, store_id=store, supplier="别家", lines=lines, idempotency_key=k
        )
    assert reused.value.code == "idempotency_key_reused"


def test_purchase_refusals_change_nothing(manager, owner, stores, goods):
    shop = goods.shop
    before = stock_snapshot()
    cases = [
        ({"store_id": stores[1].pk}, "store_forbidden"),
        ({"lines": [PurchaseLineInput(goods.combo.pk, 1000, 100)]}, "bundle_not_stocked"),
        ({"lines": [PurchaseLineInput(shop.cake.pk, 1500, 100)]}, "fractional_quantity"),
        ({"lines": [PurchaseLineInput(shop.cake.pk, 0, 100)]}, "invalid_quantity"),
        ({"lines": [PurchaseLineInput(shop.cake.pk, 1000, -1)]}, "invalid_unit_cost"),
        ({"lines": []}, "lines_required"),
        ({"supplier": "  "}, "supplier_required"),
        ({"lines": [PurchaseLineInput(999_999, 1000, 1)]}, "unknown_product"),
    ]
    for change, code in cases:
        args = {
            "actor": manager,
            "store_id": stores[0].pk,
            "supplier": "甲",
            "lines": [PurchaseLineInput(shop.cake.pk, 1000, 100)],
            "idempotency_key": key(),
            **change,
        }
        with pytest.raises(DomainError) as refused:
            services.purchase_receive(**args)
        assert refused.value.code == code, change
    assert stock_snapshot() == before


def test_a_cashier_may_not_receive_goods(cashier, stores, shop):
    with pytest.raises(PermissionDenied):
        receive(cashier, stores[0].pk, (shop.cake, 1000))


def test_adjustment_with_reason_never_below_zero(manager, stores, shop):
    store = stores[0].pk
    receive(manager, store, (shop.cake, 2000))
    move = services.stock_adjust(
        actor=manager,
        store_id=store,
        product_id=shop.cake.pk,
        quantity_milli=-1000,
        reason="破损",
        idempotency_key=key(),
    )
    assert (move.kind, move.quantity_milli, move.balance_after_milli, move.reason) == (
        "adjust",
        -1000,
        1000,
        "破损",
    )
    before = stock_snapshot()
    with pytest.raises(Conflict) as refused:
        services.stock_adjust(
            actor=manager,
            store_id=store,
            product_id=shop.cake.pk,
            quantity_milli=-2000,
            reason="破损",
            idempotency_key=key(),
        )
    assert refused.value.code == "stock_insufficient"
    with pytest.raises(DomainError) as no_reason:
        services.stock_adjust(
            actor=manager,
            store_id=store,
            product_id=shop.cake.pk,
            quantity_milli=1000,
            reason="",
            idempotency_key=key(),
        )
    assert no_reason.value.code == "reason_required"
    assert stock_snapshot() == before


def test_stocktake_posts_the_variance_and_keeps_sales_during_the_count(
    manager, cashier, stores, shop
):
    store = stores[0].pk
    receive(manager, store, (shop.coffee, 10_000), (shop.cake, 5000), (shop.petrol, 20_000))
    take = services.stocktake_create(actor=manager, store_id=store, idempotency_key=key())
    expected = {
        line.product_id: line.expected_milli
        for line in StocktakeLine.objects.filter(stocktake=take)
    }
    assert expected == {shop.coffee.pk: 10_000, shop.cake.pk: 5000, shop.petrol.pk: 20_000}
    sell(cashier, (shop.coffee, 1000))  # sold while counting: still deducted after posting
    services.stocktake_count(
        actor=manager,
        stocktake_id=take.pk,
        counts={shop.coffee.pk: 8000, shop.cake.pk: 6000},  # petrol left uncounted
    )
    k = key()
    posted = services.stocktake_post(actor=manager, stocktake_id=take.pk, idempotency_key=k)
    assert (
        services.stocktake_post(actor=manager, stocktake_id=take.pk, idempotency_key=k).pk
        == posted.pk
    )
    assert posted.status == Stocktake.Status.POSTED
    variances = dict(
        StocktakeLine.objects.filter(stocktake=take).values_list("product_id", "variance_milli")
    )
    assert variances == {shop.coffee.pk: -2000, shop.cake.pk: 1000, shop.petrol.pk: None}
    assert on_hand(store, shop.coffee) == 10_000 - 1000 - 2000
    assert on_hand(store, shop.cake) == 6000
    assert on_hand(store, shop.petrol) == 20_000
    assert Movement.objects.filter(kind="stocktake").count() == 2
    before = stock_snapshot()
    with pytest.raises(Conflict) as closed:
        services.stocktake_count(actor=manager, stocktake_id=take.pk, counts={shop.cake.pk: 1})
    assert closed.value.code == "stocktake_closed"
    with pytest.raises(Conflict):
        services.stocktake_post(actor=manager, stocktake_id=take.pk, idempotency_key=key())
    assert stock_snapshot() == before
    assert_no_drift()


def test_another_stores_stocktake_is_out_of_scope(owner, manager, stores, shop):
    receive(owner, stores[1].pk, (shop.cake, 1000))
    take = services.stocktake_create(actor=owner, store_id=stores[1].pk, idempotency_key=key())
    with pytest.raises(PermissionDenied) as refused:
        services.stocktake_count(actor=manager, stocktake_id=take.pk, counts={shop.cake.pk: 0})
    assert refused.value.code == "store_forbidden"
    assert list(selectors.stocktake_list(actor=manager)) == []


def test_transfer_sent_in_transit_received_with_a_difference(owner, manager, stores, shop):
    source, target = stores[0].pk, stores[1].pk
    receive(manager, source, (shop.cake, 10_000), (shop.coffee, 4000))
    transfer = services.transfer_send(
        actor=manager,
        from_store_id=source,
        to_store_id=target,
        lines=[TransferLineInput(shop.cake.pk, 6000), TransferLineInput(shop.coffee.pk, 4000)],
        idempotency_key=key(),
    )
    assert transfer.status == Transfer.Status.IN_TRANSIT
    assert (on_hand(source, shop.cake), on_hand(target, shop.cake)) == (4000, 0)
    # The manager of the source store does not receive at the other store.
    with pytest.raises(PermissionDenied):
        services.transfer_receive(actor=manager, transfer_id=transfer.pk, idempotency_key=key())
    received = services.transfer_receive(
        actor=owner,
        transfer_id=transfer.pk,
        received={shop.cake.pk: 5000},  # one broke on the way; coffee as sent
        note="破损一件",
        idempotency_key=key(),
    )
    assert received.status == Transfer.Status.RECEIVED
    lines = {
        line.product_id: (line.sent_milli, line.received_milli, line.difference_milli)
        for line in selectors.transfer_lines(received)
    }
    assert lines == {shop.cake.pk: (6000, 5000, 1000), shop.coffee.pk: (4000, 4000, 0)}
    assert (on_hand(source, shop.cake), on_hand(target, shop.cake)) == (4000, 5000)
    assert on_hand(target, shop.coffee) == 4000
    with pytest.raises(Conflict) as twice:
        services.transfer_receive(actor=owner, transfer_id=transfer.pk, idempotency_key=key())
    assert twice.value.code == "transfer_received"
    assert_no_drift()


def test_a_transfer_never_sends_what_is_not_there(manager, stores, shop):
    receive(manager, stores[0].pk, (shop.cake, 1000))
    before = stock_snapshot()
    with pytest.raises(Conflict) as refused:
        services.transfer_send(
            actor=manager,
            from_store_id=stores[0].pk,
            to_store_id=stores[1].pk,
            lines=[TransferLineInput(shop.cake.pk, 2000)],
            idempotency_key=key(),
        )
    assert refused.value.code == "stock_insufficient"
    with pytest.raises(DomainError) as same:
        services.transfer_send(
            actor=manager,
            from_store_id=stores[0].pk,
            to_store_id=stores[0].pk,
            lines=[TransferLineInput(shop.cake.pk, 1000)],
            idempotency_key=key(),
        )
    assert same.value.code == "same_store"
    assert stock_snapshot() == before


def test_low_stock_list_per_store(manager, owner, stores, shop):
    store = stores[0].pk
    receive(manager, store, (shop.cake, 2000), (shop.coffee, 9000))
    services.reorder_point_set(
        actor=manager, store_id=store, product_id=shop.cake.pk, reorder_point_milli=3000
    )
    services.reorder_point_set(
        actor=manager, store_id=store, product_id=shop.coffee.pk, reorder_point_milli=3000
    )
    low = selectors.low_stock(actor=manager, store_id=store)
    assert [level.product_id for level in low] == [shop.cake.pk]
    with pytest.raises(PermissionDenied):
        selectors.low_stock(actor=manager, store_id=stores[1].pk)


def test_verify_stock_finds_a_tampered_level(manager, stores, shop, capsys):
    receive(manager, stores[0].pk, (shop.cake, 2000))
    call_command("verify_stock")
    assert "stock OK" in capsys.readouterr().out
    StockLevel.objects.filter(product=shop.cake).update(on_hand_milli=2500)
    with pytest.raises(SystemExit) as failed:
        call_command("verify_stock")
    assert failed.value.code == 1
    assert "on hand 2500, movements say 2000" in capsys.readouterr().err
