"""Role × endpoint matrix for the catalog endpoints, computed from ``ROLE_PERMS``.

Every caller either gets the endpoint's success status or a 403 naming the permission it
lacks, and a refusal changes no catalog row and writes no audit row. ``CATALOG_ENDPOINTS``
is part of ``test_permissions``'s guard (every routed operation is in a matrix) and
``CATALOG_PATHS`` of ``test_openapi``'s list.
"""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from dataclasses import dataclass
from typing import Any

import pytest

from huiyuan.api.tests.conftest import ApiClient, error_of, new_client
from huiyuan.api.tests.test_catalog import snapshot
from huiyuan.catalog import services
from huiyuan.core.permissions import ROLE_PERMS, Perm, Role

pytestmark = pytest.mark.django_db

CATALOG_PATHS = {
    "/api/v1/catalog/categories": {"get", "post"},
    "/api/v1/catalog/categories/{category_id}": {"get", "patch"},
    "/api/v1/catalog/products": {"get", "post"},
    "/api/v1/catalog/products/by-code/{code}": {"get"},
    "/api/v1/catalog/products/{product_id}": {"get", "patch"},
    "/api/v1/catalog/products/{product_id}/delist": {"post"},
    "/api/v1/catalog/products/{product_id}/relist": {"post"},
    "/api/v1/catalog/prices": {"get"},
    "/api/v1/catalog/products/{product_id}/prices": {"get"},
    "/api/v1/catalog/products/{product_id}/price-changes": {"post"},
    "/api/v1/catalog/price-changes/{change_id}/cancel": {"post"},
    "/api/v1/catalog/products/{product_id}/store-prices/{store_id}": {"put", "delete"},
    "/api/v1/catalog/products/{product_id}/bundle-items": {"get", "put"},
}


@dataclass(frozen=True)
class CatalogEndpoint:
    name: str
    method: str
    path: str  # OpenAPI placeholders, filled from the prepared names
    perm: Perm
    body: dict[str, Any] | None = None
    status: int = 200
    idem: bool = False  # sends an Idempotency-Key
    prepare: str = ""  # delisted, store_price, scheduled

    @property
    def route(self) -> str:
        """The path as the OpenAPI document names it."""
        path = self.path.split("?")[0]
        return path.replace("{store}", "{store_id}").replace("{bundle_id}", "{product_id}")


E = CatalogEndpoint
V, M, S = Perm.CATALOG_VIEW, Perm.CATALOG_MANAGE, Perm.CATALOG_STORE_PRICE
LATER = "2030-05-01T07:30:00+08:00"
CATALOG_ENDPOINTS = [
    E("categories", "GET", "/catalog/categories", V),
    E(
        "category_create",
        "POST",
        "/catalog/categories",
        M,
        {"code": "tea", "name": "茶"},
        201,
        True,
    ),
    E("category", "GET", "/catalog/categories/{category_id}", V),
    E("category_edit", "PATCH", "/catalog/categories/{category_id}", M, {"name": "汽油类"}),
    E("products", "GET", "/catalog/products", V),
    E(
        "product_create",
        "POST",
        "/catalog/products",
        M,
        {"sku": "TEA", "name": "茶", "list_price_fen": 500},
        201,
        True,
    ),
    E("by_code", "GET", "/catalog/products/by-code/{code}", V),
    E("product", "GET", "/catalog/products/{product_id}", V),
    E("product_edit", "PATCH", "/catalog/products/{product_id}", M, {"name": "92号汽油"}),
    E("delist", "POST", "/catalog/products/{product_id}/delist", M, {}),
    E("relist", "POST", "/catalog/products/{product_id}/relist", M, {}, prepare="delisted"),
    E("prices", "GET", "/catalog/prices?product_id={product_id}", V),
    E("product_prices", "GET", "/catalog/products/{product_id}/prices", V),
    E(
        "price_change",
        "POST",
        "/catalog/products/{product_id}/price-changes",
        M,
        {"price_fen": 802, "effective_from": LATER},
        201,
        True,
    ),
    E(
        "price_cancel",
        "POST",
        "/catalog/price-changes/{change_id}/cancel",
        S,
        {},
        prepare="scheduled",
    ),
    E(
        "store_price",
        "PUT",
        "/catalog/products/{product_id}/store-prices/{store}",
        S,
        {"price_fen": 779},
        201,
        True,
    ),
    E(
        "store_price_clear",
        "DELETE",
        "/catalog/products/{product_id}/store-prices/{store}",
        S,
        prepare="store_price",
    ),
    E("bundle_items", "GET", "/catalog/products/{bundle_id}/bundle-items", V),
    E(
        "bundle_set",
        "PUT",
        "/catalog/products/{bundle_id}/bundle-items",
        M,
        {"items": [{"product_id": "{product_id}", "quantity_milli": 2000}]},
    ),
]
CALLERS = [*(("staff", r) for r in Role), ("key", Role.CASHIER), ("key", Role.STORE_MANAGER)]
_keys = itertools.count()


def _fill(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return names[value[1:-1]]
    return value


@pytest.fixture
def caller(staff, terminal, key_for):
    def make(kind: str, role: Role) -> ApiClient:
        if kind == "key":
            return ApiClient(new_client(), {"X-API-Key": key_for(terminal, role)})
        client = new_client()
        client.force_login(staff[role])
        return ApiClient(client)

    return make


def _setup(owner, stores, endpoint: CatalogEndpoint) -> dict[str, Any]:
    store = stores[0]  # store-scoped callers work at the first store
    fuel = services.category_create(actor=owner, code="fuel", name="油品")
    p92 = services.product_create(
        actor=owner,
        data=services.ProductInput(
            sku="FUEL-92", name="92#汽油", list_price_fen=789, unit="litre", category_id=fuel.pk
        ),
    )
    bundle = services.product_create(
        actor=owner,
        data=services.ProductInput(sku="SET", name="套餐", list_price_fen=1000, kind="bundle"),
    )
    names: dict[str, Any] = {
        "category_id": fuel.pk,
        "product_id": p92.pk,
        "bundle_id": bundle.pk,
        "code": p92.sku,
        "store": store.pk,
    }
    if endpoint.prepare == "delisted":
        services.product_delist(actor=owner, product_id=p92.pk)
    if endpoint.prepare == "store_price":
        services.store_price_set(actor=owner, product_id=p92.pk, store_id=store.pk, price_fen=779)
    if endpoint.prepare == "scheduled":
        names["change_id"] = services.store_price_set(
            actor=owner,
            product_id=p92.pk,
            store_id=store.pk,
            price_fen=779,
            effective_from=dt.datetime(2030, 5, 1, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")),
        ).pk
    return names


@pytest.mark.parametrize("endpoint", CATALOG_ENDPOINTS, ids=lambda e: e.name)
@pytest.mark.parametrize("who", CALLERS, ids=lambda c: f"{c[0]}-{c[1].value}")
def test_catalog_matrix(caller, owner, stores, who, endpoint):
    names = _setup(owner, stores, endpoint)
    client = caller(*who)
    headers = {"Idempotency-Key": f"m-{next(_keys)}"} if endpoint.idem else {}
    before = snapshot()
    path = endpoint.path.format(**names)
    body = _fill(endpoint.body, names) if endpoint.body is not None else None
    response = client.call(endpoint.method, path, body, **headers)
    if endpoint.perm in ROLE_PERMS[who[1]]:
        assert response.status_code == endpoint.status, response.content
    else:
        assert response.status_code == 403, response.content
        assert error_of(response)["code"] == "permission_denied"
        assert error_of(response)["details"] == {"permission": endpoint.perm.value}
        assert snapshot() == before


def test_the_matrix_covers_every_catalog_operation():
    listed = {(m.upper(), p.removeprefix("/api/v1")) for p, ms in CATALOG_PATHS.items() for m in ms}
    assert {(e.method, e.route) for e in CATALOG_ENDPOINTS} == listed
