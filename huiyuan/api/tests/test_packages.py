"""Package endpoints: plans, a card's packages, one use per visit (Idempotency-Key), undo,
refund; strict integer ids; every route answers each role as ``ROLE_PERMS`` says."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from huiyuan.api.tests.conftest import error_of, staff_client
from huiyuan.core.permissions import ROLE_PERMS, Perm, Role
from huiyuan.packages.models import MemberPackage, PackageItem, PackageUse
from huiyuan.packages.tests.conftest import (  # noqa: F401 - fixtures
    member_card,
    packages_of,
    plan_set,
    sell,
)

pytestmark = pytest.mark.django_db

PACKAGE_ROUTES = {
    ("GET", "/packages/plans"),
    ("POST", "/packages/plans"),
    ("PUT", "/packages/plans/{plan_id}"),
    ("GET", "/members/{member_id}/packages"),
    ("GET", "/cards/{card_id}/packages"),
    ("GET", "/packages/by-code/{code}"),
    ("GET", "/packages/{package_id}"),
    ("GET", "/packages/{package_id}/uses"),
    ("POST", "/packages/{package_id}/use"),
    ("POST", "/packages/uses/{use_id}/undo"),
    ("GET", "/packages/{package_id}/refund-quote"),
    ("POST", "/packages/{package_id}/refund"),
}

# As the OpenAPI document lists them (test_openapi), and the writes that take a key.
PACKAGE_PATHS = {
    "/api/v1/packages/plans": {"get", "post"},
    "/api/v1/packages/plans/{plan_id}": {"put"},
    "/api/v1/members/{member_id}/packages": {"get"},
    "/api/v1/cards/{card_id}/packages": {"get"},
    "/api/v1/packages/by-code/{code}": {"get"},
    "/api/v1/packages/{package_id}": {"get"},
    "/api/v1/packages/{package_id}/uses": {"get"},
    "/api/v1/packages/{package_id}/use": {"post"},
    "/api/v1/packages/uses/{use_id}/undo": {"post"},
    "/api/v1/packages/{package_id}/refund-quote": {"get"},
    "/api/v1/packages/{package_id}/refund": {"post"},
}
PACKAGE_KEYED = {
    ("post", "/api/v1/packages/plans"),
    ("put", "/api/v1/packages/plans/{plan_id}"),
    ("post", "/api/v1/packages/{package_id}/use"),
    ("post", "/api/v1/packages/uses/{use_id}/undo"),
    ("post", "/api/v1/packages/{package_id}/refund"),
}


def test_routes_and_paths_agree():
    assert {
        (m.upper(), p.removeprefix("/api/v1")) for p, ms in PACKAGE_PATHS.items() for m in ms
    } == (PACKAGE_ROUTES)


@pytest.fixture
def package(plan_set, member_card, sell) -> MemberPackage:  # noqa: F811
    return packages_of(sell(plan_set.swim10, member_card))[0]


def test_a_visit_at_the_counter(staff, package, member_card):  # noqa: F811
    cashier = staff_client(staff[Role.CASHIER])
    listed = cashier.get(f"/cards/{member_card.pk}/packages")
    assert listed.status_code == 200, listed.content
    [row] = listed.json()
    assert row["code"] == package.code
    assert row["items"] == [
        {"id": row["items"][0]["id"], "name": "游泳", "total": 10, "used": 0, "remaining": 10}
    ]
    used = cashier.post(f"/packages/{package.pk}/use", {}, **{"Idempotency-Key": "visit-1"})
    assert used.status_code == 201, used.content
    body = used.json()
    assert (body["kind"], body["remaining_after"], body["undone"]) == ("use", 9, False)
    again = cashier.post(f"/packages/{package.pk}/use", {}, **{"Idempotency-Key": "visit-1"})
    assert again.json()["id"] == body["id"]
    assert PackageItem.objects.get(package=package).used == 1
    found = cashier.get(f"/packages/by-code/{package.code}")
    assert found.json()["items"][0]["remaining"] == 9
    uses = cashier.get(f"/packages/{package.pk}/uses").json()
    assert [u["id"] for u in uses] == [body["id"]]


def test_a_write_needs_an_idempotency_key(staff, package):
    response = staff_client(staff[Role.CASHIER]).post(f"/packages/{package.pk}/use", {})
    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_required"
    assert PackageUse.objects.count() == 0


def test_ids_are_strict_integers(staff, package, plan_set):  # noqa: F811
    cashier = staff_client(staff[Role.CASHIER])
    response = cashier.post(
        f"/packages/{package.pk}/use", {"item_id": "1"}, **{"Idempotency-Key": "k"}
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_request"
    assert cashier.get("/packages/abc").status_code == 404
    assert PackageUse.objects.count() == 0


def test_undo_and_refund(staff, package):
    cashier = staff_client(staff[Role.CASHIER])
    manager = staff_client(staff[Role.STORE_MANAGER])
    use = cashier.post(f"/packages/{package.pk}/use", {}, **{"Idempotency-Key": "u1"}).json()
    refused = cashier.post(
        f"/packages/uses/{use['id']}/undo", {"reason": "误刷"}, **{"Idempotency-Key": "x1"}
    )
    assert refused.status_code == 403
    undo = manager.post(
        f"/packages/uses/{use['id']}/undo", {"reason": "误刷"}, **{"Idempotency-Key": "x2"}
    )
    assert undo.status_code == 201, undo.content
    assert undo.json()["reverses_id"] == use["id"]
    cashier.post(f"/packages/{package.pk}/use", {}, **{"Idempotency-Key": "u2"})
    quote = manager.get(f"/packages/{package.pk}/refund-quote").json()
    assert quote == {
        "paid_fen": 30000,
        "total_units": 10,
        "unused_units": 9,
        "gross_fen": 27000,
        "fee_fen": 0,
        "amount_fen": 27000,
    }
    refund = manager.post(
        f"/packages/{package.pk}/refund",
        {"method": "cash", "reason": "搬家"},
        **{"Idempotency-Key": "r1"},
    )
    assert refund.status_code == 201, refund.content
    assert refund.json()["amount_fen"] == 27000
    detail = manager.get(f"/packages/{package.pk}").json()
    assert detail["status"] == "refunded"


def test_a_plan_through_the_api(staff):
    from huiyuan.catalog import services as catalog

    owner = staff[Role.OWNER]
    product = catalog.product_create(
        actor=owner.as_actor(),
        data=catalog.ProductInput(sku="YOGA", name="瑜伽课程", list_price_fen=80000),
    )
    hq = staff_client(staff[Role.HQ_ADMIN])
    body = {
        "product_id": product.pk,
        "name": "瑜伽课程",
        "kind": "course",
        "items": [{"name": "流瑜伽", "uses": 4}, {"name": "阴瑜伽", "uses": 4}],
        "validity_value": 6,
        "validity_unit": "month",
    }
    created = hq.post("/packages/plans", body, **{"Idempotency-Key": "p1"})
    assert created.status_code == 201, created.content
    plan = created.json()
    assert [(i["name"], i["uses"]) for i in plan["items"]] == [("流瑜伽", 4), ("阴瑜伽", 4)]
    again = hq.post("/packages/plans", body, **{"Idempotency-Key": "p1"})
    assert again.json()["id"] == plan["id"]
    wrong = hq.post("/packages/plans", {**body, "kind": "count"}, **{"Idempotency-Key": "p2"})
    assert wrong.status_code == 422
    assert error_of(wrong)["code"] == "invalid_items"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    perm: Perm
    body: dict[str, Any] | None = None
    status: int = 200
    at_store: bool = False  # done at the caller's store: chain-wide staff choose one first


ROUTES = [
    Route("GET", "/packages/plans", Perm.CATALOG_VIEW),
    Route("GET", "/members/{member_id}/packages", Perm.MEMBER_VIEW),
    Route("GET", "/cards/{card_id}/packages", Perm.MEMBER_VIEW),
    Route("GET", "/packages/{package_id}", Perm.MEMBER_VIEW),
    Route("POST", "/packages/{package_id}/use", Perm.SALE_CREATE, {}, 201, at_store=True),
    Route("POST", "/packages/{package_id}/refund", Perm.WALLET_REFUND, {"reason": "x"}, 201),
]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_role_matrix(staff, package, member_card, role, route):  # noqa: F811
    client = staff_client(staff[role])
    path = route.path.format(
        member_id=member_card.member_id, card_id=member_card.pk, package_id=package.pk
    )
    before = (PackageUse.objects.count(), MemberPackage.objects.get(pk=package.pk).status)
    if route.method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, route.body, **{"Idempotency-Key": f"{role}-{path}"})
    if route.perm in ROLE_PERMS[role] and route.at_store and staff[role].default_store is None:
        assert response.status_code == 422, response.content
        assert error_of(response)["code"] == "store_required"
    elif route.perm in ROLE_PERMS[role]:
        assert response.status_code == route.status, response.content
    else:
        assert response.status_code == 403, response.content
        assert error_of(response)["details"] == {"permission": route.perm.value}
        assert (
            PackageUse.objects.count(),
            MemberPackage.objects.get(pk=package.pk).status,
        ) == before
