"""Products: unique SKU and barcode, EAN-13 check digits, integer fen, delist and relist."""

from __future__ import annotations

import pytest

from huiyuan.audit.models import AuditEvent
from huiyuan.catalog import selectors, services
from huiyuan.catalog.barcodes import ean13_check_digit, is_valid_ean13
from huiyuan.catalog.models import Product
from huiyuan.catalog.tests.conftest import catalog_snapshot
from huiyuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Role

pytestmark = pytest.mark.django_db

COLA = "6901939621257"  # a real-shaped EAN-13 (check digit 7)


def test_ean13_check_digit():
    assert ean13_check_digit("690193962125") == "7"
    assert ean13_check_digit("400638133393") == "1"  # 4006381333931, the textbook example
    assert is_valid_ean13(COLA)
    assert not is_valid_ean13("6901939621258")
    assert not is_valid_ean13("690193962125")
    with pytest.raises(ValueError):
        ean13_check_digit("12345")


def test_create_stores_every_field_and_audits_it(owner, fuel):
    product = services.product_create(
        actor=owner,
        data=services.ProductInput(
            sku="FUEL-95",
            name="95#汽油",
            list_price_fen=842,
            category_id=fuel.pk,
            unit="litre",
            barcode="",
            no_points=False,
            no_discount=False,
        ),
    )
    product.refresh_from_db()
    assert (product.sku, product.name, product.list_price_fen) == ("FUEL-95", "95#汽油", 842)
    assert product.unit == "litre"
    assert product.divisible is True  # a litre is sold in fractions unless told otherwise
    assert product.kind == "standard"
    assert product.status == "active"
    assert product.initials == "95qy"
    event = AuditEvent.objects.get(action="catalog.product_created")
    assert event.subject_id == str(product.pk)
    assert event.after == {
        "sku": "FUEL-95",
        "barcode": "",
        "name": "95#汽油",
        "spec": "",
        "category_id": fuel.pk,
        "kind": "standard",
        "unit": "litre",
        "divisible": True,
        "list_price_fen": 842,
        "no_points": False,
        "no_discount": False,
        "status": "active",
    }


def test_a_piece_is_whole_and_a_group_buy_item_can_skip_points_and_discounts(make_product):
    voucher = make_product(
        sku="GB-01", name="美团团购洗车券", list_price_fen=1990, no_points=True, no_discount=True
    )
    assert (voucher.divisible, voucher.no_points, voucher.no_discount) == (False, True, True)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"sku": "A001"}, "duplicate_sku"),
        ({"barcode": COLA}, "duplicate_barcode"),
        ({"barcode": "6901939621258"}, "invalid_ean13"),
        ({"barcode": "69 01"}, "invalid_barcode"),
        ({"list_price_fen": -1}, "invalid_price"),
        ({"list_price_fen": 12.5}, "invalid_price"),
        ({"list_price_fen": "1250"}, "invalid_price"),
        ({"list_price_fen": True}, "invalid_price"),
        ({"list_price_fen": 100_000_001}, "invalid_price"),
        ({"sku": "A 1"}, "invalid_sku"),
        ({"sku": ""}, "invalid_sku"),
        ({"name": " "}, "name_required"),
        ({"name": "x" * 61}, "text_too_long"),
        ({"unit": "dozen"}, "invalid_unit"),
        ({"kind": "service"}, "invalid_kind"),
        ({"kind": "bundle", "divisible": True}, "bundle_not_divisible"),
        ({"category_id": 999_999}, "unknown_category"),
        ({"no_points": "yes"}, "invalid_flag"),
    ],
)
def test_refusals_change_nothing(owner, make_product, data, code):
    make_product(sku="A001", barcode=COLA)
    before = catalog_snapshot()
    fields = {"sku": "B001", "name": "可乐", "list_price_fen": 350, **data}
    with pytest.raises((ValidationFailed, Conflict, NotFound)) as refused:
        services.product_create(actor=owner, data=services.ProductInput(**fields))
    assert refused.value.code == code
    assert catalog_snapshot() == before


def test_a_barcode_may_be_left_empty_on_many_products(make_product):
    make_product(sku="S1", barcode="")
    make_product(sku="S2", barcode="")
    assert Product.objects.filter(barcode="").count() == 2


def test_update_changes_what_is_given_and_audits_the_difference(owner, make_product, fuel):
    product = make_product(sku="A001", barcode=COLA)
    services.product_update(
        actor=owner, product_id=product.pk, name="冰拿铁", category_id=fuel.pk, barcode=""
    )
    product.refresh_from_db()
    assert (product.name, product.initials, product.category_id, product.barcode) == (
        "冰拿铁",
        "bnt",
        fuel.pk,
        "",
    )
    assert product.list_price_fen == 2800
    event = AuditEvent.objects.get(action="catalog.product_updated")
    assert event.before == {"name": "拿铁咖啡", "category_id": None, "barcode": COLA}
    assert event.after == {"name": "冰拿铁", "category_id": fuel.pk, "barcode": ""}


def test_update_refusals_change_nothing(owner, make_product):
    make_product(sku="A001", barcode=COLA)
    other = make_product(sku="A002", name="美式咖啡")
    before = catalog_snapshot()
    cases = [
        ({"sku": "A001"}, "duplicate_sku"),
        ({"barcode": COLA}, "duplicate_barcode"),
        ({"list_price_fen": 100}, "use_price_change"),
        ({"kind": "bundle"}, "not_editable"),
        ({"barcode": "1234567890123"}, "invalid_ean13"),
    ]
    for changes, code in cases:
        with pytest.raises((ValidationFailed, Conflict)) as refused:
            services.product_update(actor=owner, product_id=other.pk, **changes)
        assert refused.value.code == code
    with pytest.raises(NotFound):
        services.product_update(actor=owner, product_id=999_999, name="x")
    assert catalog_snapshot() == before


def test_delist_and_relist(owner, make_product):
    product = make_product()
    services.product_delist(actor=owner, product_id=product.pk, reason="停售")
    product.refresh_from_db()
    assert product.status == "delisted"
    assert product.delisted_at is not None
    with pytest.raises(Conflict) as again:
        services.product_delist(actor=owner, product_id=product.pk)
    assert again.value.code == "already_delisted"
    services.product_relist(actor=owner, product_id=product.pk)
    product.refresh_from_db()
    assert (product.status, product.delisted_at) == ("active", None)
    actions = list(
        AuditEvent.objects.filter(subject_type="product")
        .order_by("pk")
        .values_list("action", "note")
    )
    assert actions[1:] == [("catalog.product_delisted", "停售"), ("catalog.product_relisted", "")]


@pytest.mark.parametrize(
    "role", [Role.STORE_MANAGER, Role.CASHIER, Role.MARKETER, Role.CALL_CENTER]
)
def test_only_head_office_edits_products(actors, make_product, role):
    product = make_product()
    before = catalog_snapshot()
    actor = actors[role]
    with pytest.raises(PermissionDenied):
        services.product_create(
            actor=actor, data=services.ProductInput(sku="X1", name="X", list_price_fen=1)
        )
    with pytest.raises(PermissionDenied):
        services.product_update(actor=actor, product_id=product.pk, name="X")
    with pytest.raises(PermissionDenied):
        services.product_delist(actor=actor, product_id=product.pk)
    assert catalog_snapshot() == before


def test_search_by_name_initials_sku_and_barcode(make_product, fuel):
    latte = make_product(sku="CAFE-01", name="拿铁咖啡", barcode=COLA)
    petrol = make_product(sku="FUEL-92", name="92#汽油", unit="litre", category_id=fuel.pk)
    make_product(sku="SHOP-01", name="矿泉水")

    def found(**filters):
        return [p.sku for p in selectors.product_search(**filters)]

    assert found(query="拿铁") == ["CAFE-01"]
    assert found(query="NT") == ["CAFE-01"]  # pinyin initials, any case
    assert found(query="kf") == ["CAFE-01"]  # …anywhere in the name
    assert found(query="92qy") == ["FUEL-92"]
    assert found(query="cafe") == ["CAFE-01"]  # SKU prefix, any case
    assert found(query="690193") == ["CAFE-01"]  # barcode prefix
    assert found(category_id=fuel.parent_id) == ["FUEL-92"]  # a category and everything under it
    assert found() == ["CAFE-01", "FUEL-92", "SHOP-01"]
    assert selectors.product_by_code(COLA) == latte
    assert selectors.product_by_code("FUEL-92") == petrol
    assert selectors.product_by_code("FUEL") is None
