"""Benefit-card endpoints: plans, a member's cards, upgrade and refund quotes and writes
(Idempotency-Key), strict integer ids; every route answers each role as ``ROLE_PERMS`` says."""

from __future__ import annotations

import pytest

from huiyuan.api.tests.conftest import error_of, staff_client
from huiyuan.benefits.models import BenefitChange, MemberBenefit
from huiyuan.benefits.tests.conftest import (  # noqa: F401 - fixtures
    clock,
    member_card,
    sell,
    shop,
)
from huiyuan.core.permissions import ROLE_PERMS, Perm, Role

pytestmark = pytest.mark.django_db

BENEFIT_CALLS = [
    ("GET", "/benefits/plans", None),
    ("POST", "/benefits/plans", {}),
    ("PUT", "/benefits/plans/{plan_id}", {}),
    ("GET", "/members/{member_id}/benefits", None),
    ("GET", "/benefits/{benefit_id}", None),
    ("GET", "/benefits/{benefit_id}/changes", None),
    ("GET", "/benefits/{benefit_id}/upgrade-quote", None),
    ("POST", "/benefits/{benefit_id}/upgrade", {}),
    ("GET", "/benefits/{benefit_id}/refund-quote", None),
    ("POST", "/benefits/{benefit_id}/refund", {}),
]
BENEFIT_ROUTES = {(method, path) for method, path, _body in BENEFIT_CALLS}
BENEFIT_PATHS: dict[str, set[str]] = {}
for _method, _path, _body in BENEFIT_CALLS:
    BENEFIT_PATHS.setdefault(f"/api/v1{_path}", set()).add(_method.lower())
BENEFIT_KEYED = {(m.lower(), f"/api/v1{p}") for m, p, _b in BENEFIT_CALLS if m != "GET"}


@pytest.fixture
def benefit(shop, member_card, sell) -> MemberBenefit:  # noqa: F811
    sell(member_card, shop.silver.product_id)
    return MemberBenefit.objects.get(member=member_card.member)


def test_a_member_card_and_an_upgrade(staff, benefit, shop):  # noqa: F811
    cashier = staff_client(staff[Role.CASHIER])
    listed = cashier.get(f"/members/{benefit.member_id}/benefits")
    assert listed.status_code == 200, listed.content
    [row] = listed.json()
    assert (row["code"], row["status"], row["paid_fen"]) == (benefit.code, "active", 3000)
    assert row["privileges"]["category_discounts"] == {"wash": 900}
    quote = cashier.get(f"/benefits/{benefit.pk}/upgrade-quote?plan_id={shop.gold.pk}")
    assert quote.status_code == 200, quote.content
    body = quote.json()
    assert body["price_fen"] == 30000
    assert body["due_fen"] == 30000 - body["amount_fen"]
    done = cashier.post(
        f"/benefits/{benefit.pk}/upgrade",
        {"plan_id": shop.gold.pk, "method": "cash"},
        **{"Idempotency-Key": "up-1"},
    )
    assert done.status_code == 201, done.content
    assert done.json()["amount_fen"] == body["amount_fen"]
    again = cashier.post(
        f"/benefits/{benefit.pk}/upgrade",
        {"plan_id": shop.gold.pk, "method": "cash"},
        **{"Idempotency-Key": "up-1"},
    )
    assert again.json()["id"] == done.json()["id"]
    assert BenefitChange.objects.count() == 1


def test_writes_need_a_key_and_ids_are_strict(staff, benefit, shop):  # noqa: F811
    manager = staff_client(staff[Role.STORE_MANAGER])
    response = manager.post(f"/benefits/{benefit.pk}/refund", {"reason": "搬家"})
    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_required"
    strict = manager.post(
        f"/benefits/{benefit.pk}/upgrade",
        {"plan_id": str(shop.gold.pk)},
        **{"Idempotency-Key": "k"},
    )
    assert strict.status_code == 422
    assert error_of(strict)["code"] == "invalid_request"
    assert manager.get("/benefits/abc").status_code == 404
    assert MemberBenefit.objects.get(pk=benefit.pk).status == "active"
    refund = manager.post(
        f"/benefits/{benefit.pk}/refund", {"reason": "搬家"}, **{"Idempotency-Key": "r1"}
    )
    assert refund.status_code == 201, refund.content
    assert MemberBenefit.objects.get(pk=benefit.pk).status == "refunded"


def test_a_plan_through_the_api(staff):
    from huiyuan.catalog import services as catalog

    product = catalog.product_create(
        actor=staff[Role.OWNER].as_actor(),
        data=catalog.ProductInput(sku="VIP-L", name="终身卡", list_price_fen=99900),
    )
    hq = staff_client(staff[Role.HQ_ADMIN])
    body = {
        "product_id": product.pk,
        "code": "LIFE",
        "name": "终身卡",
        "term": "lifetime",
        "paid_permille": 950,
        "category_discounts": {"wash": 800},
        "points_multiplier_pct": 200,
    }
    created = hq.post("/benefits/plans", body, **{"Idempotency-Key": "p1"})
    assert created.status_code == 201, created.content
    plan = created.json()
    assert (plan["price_fen"], plan["category_discounts"]) == (99900, {"wash": 800})
    again = hq.post("/benefits/plans", body, **{"Idempotency-Key": "p1"})
    assert again.json()["id"] == plan["id"]
    wrong = hq.post("/benefits/plans", {**body, "paid_permille": 1001}, **{"Idempotency-Key": "p2"})
    assert wrong.status_code == 422
    edited = hq.put(
        f"/benefits/plans/{plan['id']}", {**body, "rank": 3}, **{"Idempotency-Key": "p3"}
    )
    assert edited.status_code == 200, edited.content
    assert (edited.json()["rank"], edited.json()["version"]) == (3, 2)


ROUTES = [
    ("GET", "/benefits/plans", Perm.CATALOG_VIEW, None, 200),
    ("GET", "/members/{member_id}/benefits", Perm.MEMBER_VIEW, None, 200),
    ("GET", "/benefits/{benefit_id}", Perm.MEMBER_VIEW, None, 200),
    ("POST", "/benefits/{benefit_id}/refund", Perm.WALLET_REFUND, {"reason": "x"}, 201),
]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_role_matrix(staff, benefit, role, route):
    method, template, perm, body, status = route
    client = staff_client(staff[role])
    path = template.format(member_id=benefit.member_id, benefit_id=benefit.pk)
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, body, **{"Idempotency-Key": f"{role}-{path}"})
    if perm in ROLE_PERMS[role]:
        assert response.status_code == status, response.content
    else:
        assert response.status_code == 403, response.content
        assert error_of(response)["details"] == {"permission": perm.value}
        assert MemberBenefit.objects.get(pk=benefit.pk).status == "active"
