"""The stock API: writes with an Idempotency-Key, reads in the caller's store scope."""

from __future__ import annotations

import pytest

from huiyuan.core.permissions import Role
from huiyuan.stock.tests.conftest import on_hand


@pytest.fixture
def api(client, staff):
    def login(role: Role):
        client.force_login(staff[role])
        return client

    return login


def post(client, path, body, key="k1", method="post"):
    headers = {"Idempotency-Key": key} if key else {}
    return getattr(client, method)(
        f"/api/v1/stock{path}", body, content_type="application/json", headers=headers
    )


def test_purchase_stocktake_and_levels_over_the_api(api, stores, shop):
    client = api(Role.STORE_MANAGER)
    store = stores[0].pk
    body = {
        "store_id": store,
        "supplier": "供应商甲",
        "lines": [{"product_id": shop.cake.pk, "quantity_milli": 5000, "unit_cost_fen": 800}],
    }
    first = post(client, "/purchases", body)
    assert first.status_code == 201, first.content
    assert first.json()["total_cost_fen"] == 4000
    assert post(client, "/purchases", body).json()["id"] == first.json()["id"]
    assert on_hand(store, shop.cake) == 5000
    missing = post(client, "/purchases", body, key="")
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "idempotency_key_required"

    take = post(client, "/stocktakes", {"store_id": store}, key="t1").json()
    assert [(x["product"]["id"], x["expected_milli"]) for x in take["lines"]] == [
        (shop.cake.pk, 5000)
    ]
    counted = post(
        client,
        f"/stocktakes/{take['id']}/counts",
        {"counts": [{"product_id": shop.cake.pk, "counted_milli": 4000}]},
        key="",
        method="put",
    )
    assert counted.status_code == 200, counted.content
    posted = post(client, f"/stocktakes/{take['id']}/post", {}, key="p1")
    assert posted.status_code == 200, posted.content
    assert posted.json()["lines"][0]["variance_milli"] == -1000
    levels = client.get("/api/v1/stock/levels").json()
    assert [(i["product"]["sku"], i["on_hand_milli"]) for i in levels["items"]] == [("B001", 4000)]
    moves = client.get("/api/v1/stock/movements").json()
    assert [m["kind"] for m in moves["items"]] == ["stocktake", "purchase_in"]
    other = client.get(f"/api/v1/stock/levels?store_id={stores[1].pk}")
    assert other.status_code == 403


def test_a_refused_sale_says_stock_insufficient(api, stores, shop):
    owner = api(Role.OWNER)
    assert post(owner, "/policy", {"below_zero": "refuse"}, key="", method="put").json() == {
        "chain": "refuse",
        "stores": {},
    }
    body = {
        "store_id": stores[0].pk,
        "supplier": "甲",
        "lines": [{"product_id": shop.cake.pk, "quantity_milli": 1000, "unit_cost_fen": 800}],
    }
    assert post(owner, "/purchases", body, key="p").status_code == 201
    owner.logout()
    client = api(Role.CASHIER)
    assert post(client, "/purchases", body, key="c").status_code == 403
    sale = client.post(
        "/api/v1/sales",
        {
            "lines": [{"product_id": shop.cake.pk, "quantity_milli": 2000}],
            "payments": [{"method": "cash", "amount_fen": 3980}],
        },
        content_type="application/json",
        headers={"Idempotency-Key": "s1"},
    )
    assert sale.status_code == 409, sale.content
    assert sale.json()["error"]["code"] == "stock_insufficient"
    assert on_hand(stores[0].pk, shop.cake) == 1000
