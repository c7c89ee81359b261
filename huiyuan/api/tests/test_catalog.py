"""Catalog API: CRUD for categories, products, prices and bundles; strict input; errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.api.tests.conftest import error_of, staff_client
from huiyuan.audit.models import AuditEvent
from huiyuan.catalog import services
from huiyuan.catalog.models import BundleItem, Category, PriceChange, Product
from huiyuan.core.permissions import Role

pytestmark = pytest.mark.django_db

COLA = "6901939621257"
KEY = {"Idempotency-Key": "k-1"}


def snapshot():
    return (
        list(Category.objects.order_by("pk").values()),
        list(Product.objects.order_by("pk").values()),
        list(PriceChange.objects.order_by("pk").values()),
        list(BundleItem.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def hq(as_staff):
    return as_staff(Role.OWNER)


@pytest.fixture
def fuel(owner):
    top = services.category_create(actor=owner, code="fuel", name="油品")
    return services.category_create(actor=owner, code="petrol", name="汽油", parent_id=top.pk)


@pytest.fixture
def p92(owner, fuel):
    return services.product_create(
        actor=owner,
        data=services.ProductInput(
            sku="FUEL-92", name="92#汽油", list_price_fen=789, unit="litre", category_id=fuel.pk
        ),
    )


# --------------------------------------------------------------------------- categories


def test_category_crud(hq, fuel):
    created = hq.post(
        "/catalog/categories",
        {"code": "diesel", "name": "柴油", "parent_id": fuel.parent_id},
        **KEY,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body == {
        "id": body["id"],
        "code": "diesel",
        "name": "柴油",
        "parent_id": fuel.parent_id,
        "path": ["fuel", "diesel"],
        "path_names": ["油品", "柴油"],
        "depth": 1,
        "position": 0,
    }
    tree = hq.get("/catalog/categories").json()
    assert [c["code"] for c in tree] == ["fuel", "petrol", "diesel"]
    moved = hq.patch(f"/catalog/categories/{fuel.pk}", {"parent_id": None, "name": "汽油类"})
    assert moved.status_code == 200
    assert (moved.json()["path"], moved.json()["path_names"]) == (["petrol"], ["汽油类"])
    assert hq.get(f"/catalog/categories/{body['id']}").json()["name"] == "柴油"
    # leaving parent_id out leaves the category where it is
    renamed = hq.patch(f"/catalog/categories/{body['id']}", {"position": 2})
    assert (renamed.json()["parent_id"], renamed.json()["position"]) == (fuel.parent_id, 2)


def test_category_refusals_in_the_error_format(hq, fuel):
    before = snapshot()
    cycle = hq.patch(f"/catalog/categories/{fuel.parent_id}", {"parent_id": fuel.pk})
    assert cycle.status_code == 422
    assert error_of(cycle) == {
        "code": "category_cycle",
        "message": "分类不能移到自身或其下级分类之下。",
        "field": "parent_id",
    }
    duplicate = hq.post("/catalog/categories", {"code": "fuel", "name": "油"}, **KEY)
    assert (duplicate.status_code, error_of(duplicate)["code"]) == (409, "duplicate_category_code")
    keyless = hq.post("/catalog/categories", {"code": "tea", "name": "茶"})
    assert error_of(keyless)["code"] == "idempotency_key_required"
    assert hq.get("/catalog/categories/999999").status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("parent", [True, "5", 5.0, 0, -1])
def test_ids_are_strict_json_integers(hq, fuel, parent):
    before = snapshot()
    response = hq.post(
        "/catalog/categories", {"code": "tea", "name": "茶", "parent_id": parent}, **KEY
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_request"
    assert error_of(response)["field"] == "parent_id"
    assert snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_a_retried_create_returns_the_first_result(owner, stores):
    client = staff_client(owner.staff)
    first = client.post("/catalog/categories", {"code": "tea", "name": "茶"}, **KEY)
    again = client.post("/catalog/categories", {"code": "tea", "name": "茶"}, **KEY)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    other = client.post("/catalog/categories", {"code": "tea2", "name": "茶"}, **KEY)
    assert error_of(other)["code"] == "idempotency_key_reused"
    assert Category.objects.count() == 1


# ----------------------------------------------------------------------------- products


def test_product_crud(hq, fuel, stores):
    created = hq.post(
        "/catalog/products",
        {
            "sku": "LATTE",
            "name": "拿铁",
            "list_price_fen": 2800,
            "barcode": COLA,
            "unit": "cup",
            "category_id": fuel.parent_id,
            "no_points": True,
        },
        **KEY,
    )
    assert created.status_code == 201, created.content
    product = created.json()
    assert {k: product[k] for k in ("sku", "barcode", "unit", "divisible", "no_points")} == {
        "sku": "LATTE",
        "barcode": COLA,
        "unit": "cup",
        "divisible": False,
        "no_points": True,
    }
    assert product["category"] == {"id": fuel.parent_id, "code": "fuel", "name": "油品"}
    assert product["category_path"] == ["fuel"]
    assert product["price"] == {
        "product_id": product["id"],
        "price_fen": 2800,
        "source": "list",
        "change_id": None,
    }
    pid = product["id"]
    edited = hq.patch(f"/catalog/products/{pid}", {"name": "冰拿铁", "category_id": None})
    assert (edited.json()["name"], edited.json()["category"]) == ("冰拿铁", None)
    assert hq.get(f"/catalog/products/by-code/{COLA}").json()["id"] == pid
    assert hq.get("/catalog/products/by-code/LATTE").json()["id"] == pid
    unknown = hq.get("/catalog/products/by-code/6900000000000")
    assert (unknown.status_code, error_of(unknown)["code"]) == (404, "unknown_product")
    delisted = hq.post(f"/catalog/products/{pid}/delist", {"reason": "停售"})
    assert delisted.json()["status"] == "delisted"
    again = hq.post(f"/catalog/products/{pid}/delist", {})
    assert (again.status_code, error_of(again)["code"]) == (409, "already_delisted")
    assert hq.post(f"/catalog/products/{pid}/relist", {}).json()["status"] == "active"


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"list_price_fen": -1}, 422, "invalid_request", "list_price_fen"),
        ({"list_price_fen": 7.89}, 422, "invalid_request", "list_price_fen"),
        ({"list_price_fen": "789"}, 422, "invalid_request", "list_price_fen"),
        ({"list_price_fen": True}, 422, "invalid_request", "list_price_fen"),
        ({"barcode": "6901939621258"}, 422, "invalid_ean13", "barcode"),
        ({"sku": "FUEL-92"}, 409, "duplicate_sku", "sku"),
        ({"unit": "dozen"}, 422, "invalid_request", "unit"),
        ({"category_id": 999999}, 404, "unknown_category", "category_id"),
        ({"kind": "bundle", "divisible": True}, 422, "bundle_not_divisible", "divisible"),
        ({"name": "\t"}, 422, "invalid_request", "name"),
        ({"price": 100}, 422, "invalid_request", "price"),
    ],
)
def test_product_refusals_change_nothing(hq, p92, body, status, code, field):
    before = snapshot()
    payload = {"sku": "NEW-1", "name": "新品", "list_price_fen": 100, **body}
    response = hq.post("/catalog/products", payload, **KEY)
    assert response.status_code == status, response.content
    assert error_of(response)["code"] == code
    assert error_of(response)["field"] == field
    assert snapshot() == before


def test_a_price_is_not_edited_on_the_product(hq, p92):
    response = hq.patch(f"/catalog/products/{p92.pk}", {"list_price_fen": 800})
    assert (response.status_code, error_of(response)["code"]) == (422, "invalid_request")
    assert hq.patch(f"/catalog/products/{p92.pk}", {"name": None}).status_code == 422


def test_search_and_paging(hq, owner, fuel):
    for n in range(7):
        services.product_create(
            actor=owner,
            data=services.ProductInput(sku=f"DRINK-{n}", name=f"饮料{n}", list_price_fen=300 + n),
        )
    services.product_create(
        actor=owner,
        data=services.ProductInput(
            sku="FUEL-95", name="95#汽油", list_price_fen=842, unit="litre", category_id=fuel.pk
        ),
    )
    page = hq.get("/catalog/products?q=drink&limit=3&offset=3").json()
    assert (page["count"], page["limit"], page["offset"]) == (7, 3, 3)
    assert [p["sku"] for p in page["items"]] == ["DRINK-3", "DRINK-4", "DRINK-5"]
    assert [p["sku"] for p in hq.get("/catalog/products?q=qy").json()["items"]] == ["FUEL-95"]
    by_category = hq.get(f"/catalog/products?category_id={fuel.parent_id}").json()
    assert [p["sku"] for p in by_category["items"]] == ["FUEL-95"]
    for bad in ("limit=0", "limit=101", "limit=true", "category_id=abc", "offset=-1"):
        response = hq.get(f"/catalog/products?{bad}")
        assert (response.status_code, error_of(response)["code"]) == (422, "invalid_request"), bad


# ------------------------------------------------------------------------------- prices


def test_price_changes_and_store_prices(hq, p92, stores):
    here = stores[0]
    scheduled = hq.post(
        f"/catalog/products/{p92.pk}/price-changes",
        {"price_fen": 802, "effective_from": "2030-05-01T07:30:00+08:00", "note": "调价"},
        **KEY,
    )
    assert scheduled.status_code == 201, scheduled.content
    change = scheduled.json()
    assert (change["price_fen"], change["store_id"], change["cancelled_at"]) == (802, None, None)
    assert change["effective_from"] == "2030-05-01T07:30:00+08:00"
    own = hq.call(
        "PUT",
        f"/catalog/products/{p92.pk}/store-prices/{here.pk}",
        {"price_fen": 779},
        **{"Idempotency-Key": "k-2"},
    )
    assert own.status_code == 201, own.content
    detail = hq.get(f"/catalog/products/{p92.pk}?store_id={here.pk}").json()
    assert detail["price"] == {
        "product_id": p92.pk,
        "price_fen": 779,
        "source": "store",
        "change_id": own.json()["id"],
    }
    prices = hq.get(f"/catalog/products/{p92.pk}/prices").json()
    assert prices["chain"]["price_fen"] == 789
    assert [(s["store_code"], s["price"]["price_fen"]) for s in prices["stores"]] == [
        ("S01", 779),
        ("S02", 789),
    ]
    assert [c["price_fen"] for c in prices["changes"]] == [802, 779]
    batch = hq.get(
        f"/catalog/prices?product_id={p92.pk}&store_id={here.pk}&at=2030-05-02T00:00:00%2B08:00"
    )
    assert [p["price_fen"] for p in batch.json()] == [779]
    batch = hq.get(f"/catalog/prices?product_id={p92.pk}&at=2030-05-02T00:00:00%2B08:00")
    assert batch.json()[0]["source"] == "chain"
    cleared = hq.call("DELETE", f"/catalog/products/{p92.pk}/store-prices/{here.pk}")
    assert (cleared.status_code, cleared.json()["price_fen"]) == (200, None)
    cancelled = hq.post(f"/catalog/price-changes/{change['id']}/cancel", {"reason": "取消"})
    assert cancelled.json()["cancelled_at"] is not None
    in_force = hq.post(f"/catalog/price-changes/{own.json()['id']}/cancel", {})
    assert (in_force.status_code, error_of(in_force)["code"]) == (409, "price_change_in_force")


def test_price_change_refusals(hq, p92):
    before = snapshot()
    url = f"/catalog/products/{p92.pk}/price-changes"
    past = (timezone.localtime() - dt.timedelta(minutes=5)).isoformat(timespec="seconds")
    response = hq.post(url, {"price_fen": 802, "effective_from": past}, **KEY)
    assert (response.status_code, error_of(response)) == (
        422,
        {
            "code": "effective_from_in_past",
            "message": "调价不能从过去开始；请选择现在或以后。",
            "field": "effective_from",
        },
    )
    for bad in ({"price_fen": "8.02"}, {"price_fen": 8.02}, {"price_fen": 802, "store_id": "1"}):
        response = hq.post(url, bad, **KEY)
        assert error_of(response)["code"] == "invalid_request", bad
    naive = hq.post(url, {"price_fen": 802, "effective_from": "2030-05-01T07:30:00"}, **KEY)
    assert error_of(naive)["code"] == "invalid_request"
    assert snapshot() == before


def test_a_store_manager_prices_only_their_store(as_staff, p92, stores):
    manager = as_staff(Role.STORE_MANAGER)
    here, there = stores
    ok = manager.call(
        "PUT", f"/catalog/products/{p92.pk}/store-prices/{here.pk}", {"price_fen": 780}, **KEY
    )
    assert ok.status_code == 201
    before = snapshot()
    elsewhere = manager.call(
        "PUT",
        f"/catalog/products/{p92.pk}/store-prices/{there.pk}",
        {"price_fen": 780},
        **{"Idempotency-Key": "k-9"},
    )
    assert (elsewhere.status_code, error_of(elsewhere)["code"]) == (403, "store_forbidden")
    chain = manager.post(
        f"/catalog/products/{p92.pk}/price-changes",
        {"price_fen": 780},
        **{"Idempotency-Key": "k-10"},
    )
    assert error_of(chain) == {
        "code": "permission_denied",
        "message": "您没有执行此操作的权限。",
        "details": {"permission": "catalog.manage"},
    }
    assert snapshot() == before


# ------------------------------------------------------------------------------ bundles


def test_bundle_items(hq, owner, p92):
    wash = services.product_create(
        actor=owner, data=services.ProductInput(sku="WASH", name="洗车", list_price_fen=3000)
    )
    combo = hq.post(
        "/catalog/products",
        {"sku": "SET-1", "name": "加油洗车套餐", "list_price_fen": 3000, "kind": "bundle"},
        **KEY,
    ).json()
    url = f"/catalog/products/{combo['id']}/bundle-items"
    body = {
        "items": [
            {"product_id": p92.pk, "quantity_milli": 5000},
            {"product_id": wash.pk, "quantity_milli": 1000},
        ]
    }
    response = hq.call("PUT", url, body)
    assert response.status_code == 200, response.content
    assert response.json() == [
        {"product_id": p92.pk, "sku": "FUEL-92", "name": "92#汽油", "quantity_milli": 5000},
        {"product_id": wash.pk, "sku": "WASH", "name": "洗车", "quantity_milli": 1000},
    ]
    assert hq.get(url).json() == response.json()
    before = snapshot()
    half = hq.call("PUT", url, {"items": [{"product_id": wash.pk, "quantity_milli": 500}]})
    assert error_of(half)["code"] == "fractional_quantity"
    nested = hq.call("PUT", url, {"items": [{"product_id": combo["id"], "quantity_milli": 1000}]})
    assert error_of(nested)["code"] == "nested_bundle"
    empty = hq.call("PUT", url, {"items": []})
    assert error_of(empty)["code"] == "invalid_request"
    assert snapshot() == before


# -------------------------------------------------------------------------- permissions


def test_cashiers_and_terminals_read_but_do_not_write(as_staff, pos, p92):
    for client in (as_staff(Role.CASHIER), pos):
        assert client.get("/catalog/products").status_code == 200
        assert client.get(f"/catalog/products/{p92.pk}/prices").status_code == 200
        before = snapshot()
        refused = client.post(
            "/catalog/products", {"sku": "X", "name": "X", "list_price_fen": 1}, **KEY
        )
        assert (refused.status_code, error_of(refused)["code"]) == (403, "permission_denied")
        assert snapshot() == before
    agent = as_staff(Role.CALL_CENTER)
    assert error_of(agent.get("/catalog/products"))["details"] == {"permission": "catalog.view"}
