"""Prices in force: list price, chain-wide dated changes, a store's own price; never the past."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.catalog import selectors, services
from huiyuan.catalog.models import PriceChange
from huiyuan.catalog.selectors import PriceInForce
from huiyuan.catalog.tests.conftest import catalog_snapshot
from huiyuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Role

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
# The station changes prices at 07:30 local time: 23:30 UTC the day before.
MAY_1_0730 = dt.datetime(2030, 5, 1, 7, 30, tzinfo=SHANGHAI)
MAY_2_0730 = dt.datetime(2030, 5, 2, 7, 30, tzinfo=SHANGHAI)
TICK = dt.timedelta(microseconds=1)


def in_force(product, at, store=None) -> PriceInForce:
    return selectors.price_in_force(product, store.pk if store else None, at)


def test_the_list_price_is_in_force_until_a_change(petrol92):
    price = in_force(petrol92, MAY_1_0730)
    assert price == PriceInForce(petrol92.pk, 789, "list", None)


def test_a_change_is_in_force_from_its_moment_exactly(owner, petrol92):
    change = services.price_change_schedule(
        actor=owner, product_id=petrol92.pk, price_fen=802, effective_from=MAY_1_0730
    )
    assert change.effective_from == dt.datetime(2030, 4, 30, 23, 30, tzinfo=UTC)
    before = dt.datetime(2030, 4, 30, 23, 29, 59, 999_999, tzinfo=UTC)
    assert in_force(petrol92, before).price_fen == 789
    assert in_force(petrol92, dt.datetime(2030, 4, 30, 23, 30, tzinfo=UTC)) == PriceInForce(
        petrol92.pk, 802, "chain", change.pk
    )
    # 23:30 UTC on 30 April is 07:30 on 1 May in Shanghai: the local business date's price
    assert in_force(petrol92, MAY_1_0730).price_fen == 802
    assert in_force(petrol92, MAY_1_0730 - TICK).price_fen == 789


def test_daily_changes_take_the_latest_started(owner, petrol92):
    for day, price in ((1, 802), (2, 795), (3, 811)):
        services.price_change_schedule(
            actor=owner,
            product_id=petrol92.pk,
            price_fen=price,
            effective_from=dt.datetime(2030, 5, day, 7, 30, tzinfo=SHANGHAI),
        )
    assert in_force(petrol92, MAY_2_0730 - TICK).price_fen == 802
    assert in_force(petrol92, MAY_2_0730).price_fen == 795
    assert in_force(petrol92, dt.datetime(2030, 5, 2, 23, 59, tzinfo=SHANGHAI)).price_fen == 795
    assert in_force(petrol92, dt.datetime(2031, 1, 1, tzinfo=SHANGHAI)).price_fen == 811


def test_a_store_price_overrides_the_chain_at_that_store_only(owner, stores, petrol92):
    here, there = stores
    chain = services.price_change_schedule(
        actor=owner, product_id=petrol92.pk, price_fen=802, effective_from=MAY_1_0730
    )
    own = services.store_price_set(
        actor=owner,
        product_id=petrol92.pk,
        store_id=here.pk,
        price_fen=779,
        effective_from=MAY_2_0730,
    )
    later = services.price_change_schedule(
        actor=owner,
        product_id=petrol92.pk,
        price_fen=820,
        effective_from=MAY_2_0730 + dt.timedelta(days=1),
    )
    assert in_force(petrol92, MAY_2_0730 - TICK, here) == PriceInForce(
        petrol92.pk, 802, "chain", chain.pk
    )
    assert in_force(petrol92, MAY_2_0730, here) == PriceInForce(petrol92.pk, 779, "store", own.pk)
    assert in_force(petrol92, MAY_2_0730, there).price_fen == 802
    # a later chain-wide change leaves the store's own price standing
    day3 = MAY_2_0730 + dt.timedelta(days=1)
    assert in_force(petrol92, day3, here).price_fen == 779
    assert in_force(petrol92, day3, there) == PriceInForce(petrol92.pk, 820, "chain", later.pk)
    assert in_force(petrol92, day3).price_fen == 820  # chain-wide (no store)
    prices = selectors.store_prices(petrol92.pk, at=day3)
    assert [(p.store.code, p.price.price_fen, p.price.source) for p in prices] == [
        ("S01", 779, "store"),
        ("S02", 820, "chain"),
    ]


def test_clearing_a_store_price_returns_the_store_to_the_chain_price(owner, stores, petrol92):
    here = stores[0]
    own = services.store_price_set(
        actor=owner, product_id=petrol92.pk, store_id=here.pk, price_fen=779
    )
    assert in_force(petrol92, timezone.now(), here).price_fen == 779
    cleared = services.store_price_clear(actor=owner, product_id=petrol92.pk, store_id=here.pk)
    assert cleared.price_fen is None
    assert in_force(petrol92, timezone.now(), here) == PriceInForce(petrol92.pk, 789, "list", None)
    # the past keeps its price
    assert in_force(petrol92, cleared.effective_from - TICK, here).price_fen == 779
    assert own.effective_from < cleared.effective_from
    with pytest.raises(Conflict) as nothing:
        services.store_price_clear(actor=owner, product_id=petrol92.pk, store_id=here.pk)
    assert nothing.value.code == "no_store_price"


def test_a_change_in_the_past_is_refused_and_nothing_changes(owner, petrol92):
    before = catalog_snapshot()
    past = timezone.now() - dt.timedelta(seconds=1)
    with pytest.raises(ValidationFailed) as refused:
        services.price_change_schedule(
            actor=owner, product_id=petrol92.pk, price_fen=802, effective_from=past
        )
    assert refused.value.code == "effective_from_in_past"
    with pytest.raises(ValidationFailed) as naive:
        services.price_change_schedule(
            actor=owner,
            product_id=petrol92.pk,
            price_fen=802,
            effective_from=dt.datetime(2030, 5, 1, 7, 30),
        )
    assert naive.value.code == "invalid_effective_from"
    assert catalog_snapshot() == before


@pytest.mark.parametrize("price", [-1, 7.89, "789", None, True, 100_000_001])
def test_a_price_is_whole_fen(owner, petrol92, price):
    before = catalog_snapshot()
    with pytest.raises(ValidationFailed) as refused:
        services.price_change_schedule(
            actor=owner, product_id=petrol92.pk, price_fen=price, effective_from=MAY_1_0730
        )
    assert refused.value.code == "invalid_price"
    assert catalog_snapshot() == before


def test_two_changes_at_the_same_moment_are_refused(owner, stores, petrol92):
    services.price_change_schedule(
        actor=owner, product_id=petrol92.pk, price_fen=802, effective_from=MAY_1_0730
    )
    before = catalog_snapshot()
    with pytest.raises(Conflict) as twin:
        services.price_change_schedule(
            actor=owner, product_id=petrol92.pk, price_fen=803, effective_from=MAY_1_0730
        )
    assert twin.value.code == "price_change_exists"
    assert catalog_snapshot() == before
    # a store's own change at that moment is another timeline
    services.store_price_set(
        actor=owner,
        product_id=petrol92.pk,
        store_id=stores[0].pk,
        price_fen=799,
        effective_from=MAY_1_0730,
    )


def test_a_change_not_yet_in_force_can_be_cancelled(owner, petrol92):
    change = services.price_change_schedule(
        actor=owner, product_id=petrol92.pk, price_fen=802, effective_from=MAY_1_0730
    )
    services.price_change_cancel(actor=owner, change_id=change.pk)
    assert in_force(petrol92, MAY_2_0730).price_fen == 789
    with pytest.raises(Conflict) as twice:
        services.price_change_cancel(actor=owner, change_id=change.pk)
    assert twice.value.code == "price_change_cancelled"
    # the moment is free again
    services.price_change_schedule(
        actor=owner, product_id=petrol92.pk, price_fen=805, effective_from=MAY_1_0730
    )
    assert in_force(petrol92, MAY_2_0730).price_fen == 805
    now = services.price_change_schedule(actor=owner, product_id=petrol92.pk, price_fen=790)
    before = catalog_snapshot()
    with pytest.raises(Conflict) as in_force_now:
        services.price_change_cancel(actor=owner, change_id=now.pk)
    assert in_force_now.value.code == "price_change_in_force"
    assert catalog_snapshot() == before
    actions = list(
        AuditEvent.objects.filter(action__startswith="catalog.price").values_list(
            "action", flat=True
        )
    )
    assert actions.count("catalog.price_scheduled") == 3
    assert actions.count("catalog.price_cancelled") == 1


def test_a_manager_prices_their_own_store_only(actors, owner, stores, petrol92):
    manager = actors[Role.STORE_MANAGER]
    own = services.store_price_set(
        actor=manager,
        product_id=petrol92.pk,
        store_id=stores[0].pk,
        price_fen=785,
        effective_from=MAY_1_0730,
    )
    assert own.created_by == manager.staff
    event = AuditEvent.objects.get(action="catalog.price_scheduled")
    assert event.store_id == stores[0].pk
    assert event.after == {
        "change_id": own.pk,
        "product_id": petrol92.pk,
        "store_id": stores[0].pk,
        "price_fen": 785,
        "effective_from": "2030-05-01T07:30:00+08:00",
        "note": "",
    }
    before = catalog_snapshot()
    with pytest.raises(PermissionDenied) as elsewhere:
        services.store_price_set(
            actor=manager,
            product_id=petrol92.pk,
            store_id=stores[1].pk,
            price_fen=785,
            effective_from=MAY_1_0730,
        )
    assert elsewhere.value.code == "store_forbidden"
    with pytest.raises(PermissionDenied) as chain:
        services.price_change_schedule(
            actor=manager, product_id=petrol92.pk, price_fen=785, effective_from=MAY_1_0730
        )
    assert chain.value.code == "permission_denied"
    with pytest.raises(PermissionDenied):
        services.store_price_set(
            actor=actors[Role.CASHIER],
            product_id=petrol92.pk,
            store_id=stores[0].pk,
            price_fen=785,
            effective_from=MAY_1_0730,
        )
    assert catalog_snapshot() == before
    # the manager may withdraw their store's change, not the chain's
    services.price_change_cancel(actor=manager, change_id=own.pk)
    chain_change = services.price_change_schedule(
        actor=owner, product_id=petrol92.pk, price_fen=801, effective_from=MAY_1_0730
    )
    with pytest.raises(PermissionDenied):
        services.price_change_cancel(actor=manager, change_id=chain_change.pk)


def test_unknown_product_and_store(owner, petrol92):
    with pytest.raises(NotFound) as product:
        services.price_change_schedule(actor=owner, product_id=999_999, price_fen=1)
    assert product.value.code == "product_not_found"
    with pytest.raises(NotFound) as store:
        services.store_price_set(actor=owner, product_id=petrol92.pk, store_id=999_999, price_fen=1)
    assert store.value.code == "unknown_store"
    assert PriceChange.objects.count() == 0


def test_prices_for_a_whole_basket_in_one_query(owner, stores, make_product):
    products = [
        make_product(sku=f"P{n:03}", name=f"商品{n}", list_price_fen=100 + n) for n in range(30)
    ]
    for product in products[::3]:
        services.price_change_schedule(
            actor=owner, product_id=product.pk, price_fen=1, effective_from=MAY_1_0730
        )
    for product in products[::5]:
        services.store_price_set(
            actor=owner,
            product_id=product.pk,
            store_id=stores[0].pk,
            price_fen=2,
            effective_from=MAY_1_0730,
        )
    ids = [p.pk for p in products]
    for size in (1, 30):
        with CaptureQueriesContext(connection) as queries:
            prices = selectors.prices_in_force(ids[:size], store_id=stores[0].pk, at=MAY_2_0730)
        assert len(queries.captured_queries) == 1
        assert len(prices) == size
    prices = selectors.prices_in_force(ids, store_id=stores[0].pk, at=MAY_2_0730)
    expected = [2 if n % 5 == 0 else 1 if n % 3 == 0 else 100 + n for n in range(30)]
    assert [prices[pk].price_fen for pk in ids] == expected
