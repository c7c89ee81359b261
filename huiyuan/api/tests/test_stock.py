"""Stock over the API: who may call what (by role and store), the writes that take an
Idempotency-Key. Behaviour is tested in the app (huiyuan/stock/tests)."""

from __future__ import annotations

import pytest

from huiyuan.api.tests.conftest import error_of, staff_client
from huiyuan.catalog import services as catalog
from huiyuan.core.permissions import Role

STOCK_PATHS = {
    "/api/v1/stock/levels": {"get"},
    "/api/v1/stock/movements": {"get"},
    "/api/v1/stock/purchases": {"post"},
    "/api/v1/stock/adjustments": {"post"},
    "/api/v1/stock/stocktakes": {"post"},
    "/api/v1/stock/stocktakes/{stocktake_id}": {"get"},
    "/api/v1/stock/stocktakes/{stocktake_id}/counts": {"put"},
    "/api/v1/stock/stocktakes/{stocktake_id}/post": {"post"},
    "/api/v1/stock/transfers": {"get", "post"},
    "/api/v1/stock/transfers/{transfer_id}": {"get"},
    "/api/v1/stock/transfers/{transfer_id}/receive": {"post"},
    "/api/v1/stock/policy": {"get", "put"},
    "/api/v1/stock/items/{product_id}": {"put"},
    "/api/v1/stock/levels/{store_id}/{product_id}/reorder-point": {"put"},
}
STOCK_ROUTES = {(m.upper(), p.removeprefix("/api/v1")) for p, ms in STOCK_PATHS.items() for m in ms}
# Writes that move stock; setting a value (counts, policy, tracking, reorder point) is
# idempotent by nature and takes no key.
STOCK_KEYED = {
    ("post", "/api/v1/stock/purchases"),
    ("post", "/api/v1/stock/adjustments"),
    ("post", "/api/v1/stock/stocktakes"),
    ("post", "/api/v1/stock/stocktakes/{stocktake_id}/post"),
    ("post", "/api/v1/stock/transfers"),
    ("post", "/api/v1/stock/transfers/{transfer_id}/receive"),
}


@pytest.mark.parametrize(
    ("role", "views", "manages", "configures"),
    [
        (Role.OWNER, True, True, True),
        (Role.HQ_ADMIN, True, True, True),
        (Role.STORE_MANAGER, True, True, False),
        (Role.CASHIER, True, False, False),
        (Role.CALL_CENTER, False, False, False),
        (Role.MARKETER, False, False, False),
    ],
)
def test_who_may_call_what(staff, actors, stores, role, views, manages, configures):
    cake = catalog.product_create(
        actor=actors[Role.OWNER],
        data=catalog.ProductInput(sku="B001", name="蛋糕", list_price_fen=1990),
    )
    client = staff_client(staff[role])
    for path in ("/stock/levels", "/stock/movements", "/stock/transfers", "/stock/policy"):
        assert (client.get(path).status_code == 200) is views, path
    body = {
        "store_id": stores[0].pk,
        "supplier": "甲",
        "lines": [{"product_id": cake.pk, "quantity_milli": 2000, "unit_cost_fen": 500}],
    }
    bought = client.post("/stock/purchases", body, **{"Idempotency-Key": f"p-{role}"})
    assert (bought.status_code == 201) is manages, bought.content
    adjusted = client.post(
        "/stock/adjustments",
        {"store_id": stores[0].pk, "product_id": cake.pk, "quantity_milli": 1000, "reason": "多"},
        **{"Idempotency-Key": f"a-{role}"},
    )
    assert (adjusted.status_code == 201) is manages, adjusted.content
    policy = client.put("/stock/policy", {"below_zero": "refuse"})
    assert (policy.status_code == 200) is configures, policy.content
    tracked = client.put(f"/stock/items/{cake.pk}", {"tracked": True})
    assert (tracked.status_code == 200) is configures, tracked.content


def test_a_store_manager_acts_only_at_their_stores(staff, actors, stores):
    cake = catalog.product_create(
        actor=actors[Role.OWNER],
        data=catalog.ProductInput(sku="B001", name="蛋糕", list_price_fen=1990),
    )
    client = staff_client(staff[Role.STORE_MANAGER])
    body = {
        "store_id": stores[1].pk,
        "supplier": "甲",
        "lines": [{"product_id": cake.pk, "quantity_milli": 2000, "unit_cost_fen": 500}],
    }
    refused = client.post("/stock/purchases", body, **{"Idempotency-Key": "x"})
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "store_forbidden"
    assert client.get(f"/stock/levels?store_id={stores[1].pk}").status_code == 403
    missing = client.post("/stock/purchases", {**body, "store_id": stores[0].pk})
    assert error_of(missing)["code"] == "idempotency_key_required"
