"""Bundles (套餐) and the pricing engine's input built from the catalog."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from huiyuan.audit.models import AuditEvent
from huiyuan.catalog import selectors, services
from huiyuan.catalog.selectors import LineRequest
from huiyuan.catalog.services import BundleItemInput
from huiyuan.catalog.tests.conftest import catalog_snapshot
from huiyuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Role
from huiyuan.pricing import Basket, BundleItem, Line, PricingContext, price_basket

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MAY_1_0730 = dt.datetime(2030, 5, 1, 7, 30, tzinfo=SHANGHAI)


@pytest.fixture
def cafe(owner, make_product):
    top = services.category_create(actor=owner, code="cafe", name="咖啡馆")
    coffee = services.category_create(actor=owner, code="coffee", name="咖啡", parent_id=top.pk)
    latte = make_product(
        sku="LATTE", name="拿铁", list_price_fen=2800, unit="cup", category_id=coffee.pk
    )
    croissant = make_product(sku="CROI", name="牛角包", list_price_fen=1200, category_id=top.pk)
    wash = make_product(sku="WASH", name="普通洗车", list_price_fen=3000, unit="session")
    breakfast = make_product(
        sku="SET-BF", name="早餐套餐", list_price_fen=3500, kind="bundle", category_id=top.pk
    )
    return {"latte": latte, "croissant": croissant, "wash": wash, "breakfast": breakfast}


def test_set_items_replaces_the_list_and_audits_it(owner, cafe):
    services.bundle_set_items(
        actor=owner,
        bundle_id=cafe["breakfast"].pk,
        items=[
            BundleItemInput(cafe["latte"].pk, 1000),
            BundleItemInput(cafe["croissant"].pk, 2000),
        ],
    )
    services.bundle_set_items(
        actor=owner,
        bundle_id=cafe["breakfast"].pk,
        items=[
            BundleItemInput(cafe["croissant"].pk, 1000),
            BundleItemInput(cafe["latte"].pk, 1000),
        ],
    )
    items = selectors.bundle_items(cafe["breakfast"].pk)
    assert [(i.item.sku, i.quantity_milli) for i in items] == [("CROI", 1000), ("LATTE", 1000)]
    events = list(AuditEvent.objects.filter(action="catalog.bundle_items_set").order_by("pk"))
    assert [e.before for e in events] == [
        {"items": []},
        {"items": [["LATTE", 1000], ["CROI", 2000]]},
    ]
    assert events[1].after == {"items": [["CROI", 1000], ["LATTE", 1000]]}
    bundles = list(selectors.bundle_list())
    assert [b.sku for b in bundles] == ["SET-BF"]


@pytest.mark.parametrize(
    ("items", "code"),
    [
        ([], "bundle_empty"),
        ([("latte", 0)], "invalid_quantity"),
        ([("latte", 1500)], "fractional_quantity"),  # a cup is sold whole
        ([("latte", 1000), ("latte", 1000)], "duplicate_item"),
        ([("breakfast", 1000)], "nested_bundle"),
        ([("missing", 1000)], "unknown_product"),
    ],
)
def test_bad_item_lists_change_nothing(owner, cafe, items, code):
    before = catalog_snapshot()
    with pytest.raises((ValidationFailed, NotFound)) as refused:
        services.bundle_set_items(
            actor=owner,
            bundle_id=cafe["breakfast"].pk,
            items=[
                BundleItemInput(cafe[name].pk if name in cafe else 999_999, qty)
                for name, qty in items
            ],
        )
    assert refused.value.code == code
    assert catalog_snapshot() == before


def test_only_bundles_hold_items_and_only_head_office_sets_them(owner, actors, cafe):
    with pytest.raises(ValidationFailed) as plain:
        services.bundle_set_items(
            actor=owner, bundle_id=cafe["latte"].pk, items=[BundleItemInput(cafe["wash"].pk, 1000)]
        )
    assert plain.value.code == "not_a_bundle"
    with pytest.raises(PermissionDenied):
        services.bundle_set_items(
            actor=actors[Role.STORE_MANAGER],
            bundle_id=cafe["breakfast"].pk,
            items=[BundleItemInput(cafe["wash"].pk, 1000)],
        )
    services.product_delist(actor=owner, product_id=cafe["wash"].pk)
    with pytest.raises(ValidationFailed) as delisted:
        services.bundle_set_items(
            actor=owner,
            bundle_id=cafe["breakfast"].pk,
            items=[BundleItemInput(cafe["wash"].pk, 1000)],
        )
    assert delisted.value.code == "product_delisted"


def test_lines_carry_the_price_in_force_categories_flags_and_bundle_items(
    owner, stores, cafe, petrol92
):
    services.bundle_set_items(
        actor=owner,
        bundle_id=cafe["breakfast"].pk,
        items=[
            BundleItemInput(cafe["latte"].pk, 1000),
            BundleItemInput(cafe["croissant"].pk, 1000),
        ],
    )
    services.price_change_schedule(
        actor=owner, product_id=petrol92.pk, price_fen=802, effective_from=MAY_1_0730
    )
    services.store_price_set(
        actor=owner,
        product_id=cafe["latte"].pk,
        store_id=stores[0].pk,
        price_fen=2600,
        effective_from=MAY_1_0730,
    )
    lines = selectors.pricing_lines_for(
        [
            LineRequest(line_id=1, code="FUEL-92", amount_fen=20000),
            LineRequest(line_id=2, product_id=cafe["breakfast"].pk, quantity_milli=1000),
            LineRequest(line_id=3, product_id=cafe["latte"].pk, quantity_milli=2000),
        ],
        store_id=stores[0].pk,
        at=MAY_1_0730,
    )
    assert lines[0] == Line(
        line_id=1,
        product_id=petrol92.pk,
        sku="FUEL-92",
        unit_price_fen=802,
        amount_fen=20000,
        category_path=("fuel", "petrol"),
        category_names=("油品", "汽油"),
        name="92#汽油",
        unit="升",
        divisible=True,
    )
    assert lines[1].unit_price_fen == 3500
    assert lines[1].category_path == ("cafe",)
    assert lines[1].bundle_items == (
        BundleItem(cafe["latte"].pk, "LATTE", 1000, 2600, "拿铁"),  # the store's own price
        BundleItem(cafe["croissant"].pk, "CROI", 1000, 1200, "牛角包"),
    )
    assert (lines[2].unit_price_fen, lines[2].unit, lines[2].category_path) == (
        2600,
        "杯",
        ("cafe", "coffee"),
    )
    priced = price_basket(
        Basket(lines=lines), context=PricingContext(store_id=stores[0].pk, local_at=MAY_1_0730)
    )
    assert priced.line(1).quantity_milli == 24_937  # ¥200 at ¥8.02/L, rounded down
    assert [c.payable_fen for c in priced.line(2).components] == [2395, 1105]  # 26:12 of ¥35
    assert priced.payable_fen == 20000 + 3500 + 5200


def test_refusals_name_the_line(owner, cafe):
    with pytest.raises(NotFound) as unknown:
        selectors.pricing_lines_for(
            [LineRequest(line_id=7, code="6900000000000")], store_id=None, at=MAY_1_0730
        )
    assert unknown.value.code == "unknown_product"
    assert unknown.value.details == {"line_id": 7, "code": "6900000000000"}
    with pytest.raises(Conflict) as empty:
        selectors.pricing_lines_for(
            [LineRequest(line_id=1, product_id=cafe["breakfast"].pk, quantity_milli=1000)],
            store_id=None,
            at=MAY_1_0730,
        )
    assert empty.value.code == "bundle_without_items"
    services.product_delist(actor=owner, product_id=cafe["wash"].pk)
    with pytest.raises(Conflict) as delisted:
        selectors.pricing_lines_for(
            [LineRequest(line_id=2, product_id=cafe["wash"].pk, quantity_milli=1000)],
            store_id=None,
            at=MAY_1_0730,
        )
    assert delisted.value.code == "product_delisted"
    assert delisted.value.details == {"line_id": 2, "product_id": cafe["wash"].pk}


def test_a_basket_costs_the_same_queries_whatever_its_size(owner, stores, make_product, cafe):
    services.bundle_set_items(
        actor=owner,
        bundle_id=cafe["breakfast"].pk,
        items=[
            BundleItemInput(cafe["latte"].pk, 1000),
            BundleItemInput(cafe["croissant"].pk, 1000),
        ],
    )
    extra = [make_product(sku=f"X{n:02}", name=f"商品{n}", barcode="") for n in range(40)]

    def count(requests):
        with CaptureQueriesContext(connection) as queries:
            lines = selectors.pricing_lines_for(requests, store_id=stores[0].pk, at=MAY_1_0730)
        assert len(lines) == len(requests)
        return len(queries.captured_queries)

    plain = [
        LineRequest(line_id=n, product_id=p.pk, quantity_milli=1000) for n, p in enumerate(extra)
    ]
    assert count(plain[:1]) == count(plain) == 1
    scanned = [LineRequest(line_id=n, code=p.sku, quantity_milli=1000) for n, p in enumerate(extra)]
    assert count(scanned) == 1
    bundle = LineRequest(line_id=99, product_id=cafe["breakfast"].pk, quantity_milli=1000)
    assert count([bundle]) == count([*plain, bundle]) == 2
