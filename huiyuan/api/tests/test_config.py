"""Configuration over the API: what the console's settings pages do, with idempotent
creates, permissions as in the console, and refusals that change nothing."""

from __future__ import annotations

import pytest

from huiyuan.api.tests.conftest import error_of
from huiyuan.cards.models import CardType
from huiyuan.core.permissions import Role
from huiyuan.points.models import PointsPolicy
from huiyuan.stores.models import Staff, Store
from huiyuan.tiers.models import Tier
from huiyuan.wallet.models import RechargePackage

pytestmark = pytest.mark.django_db

# Paths only configuration has (the others gained a method: see test_money_openapi).
CONFIG_PATHS = {
    "/api/v1/recharge-packages/{package_id}/active": {"post"},
    "/api/v1/wallet-policy": {"get", "put"},
    "/api/v1/points-policy": {"get", "put"},
    "/api/v1/tier-policy": {"get", "put"},
    "/api/v1/stores/{store_id}/terminals": {"post"},
    "/api/v1/staff": {"get", "post"},
    "/api/v1/staff/{staff_id}/active": {"post"},
    # Edits (issue 17 §10).
    "/api/v1/card-types/{card_type_id}": {"put"},
    "/api/v1/card-types/default": {"get", "put"},
    "/api/v1/recharge-packages/{package_id}": {"put"},
    "/api/v1/tiers/{tier_id}": {"put"},
    "/api/v1/tiers/{tier_id}/versions": {"get"},
    "/api/v1/stores/{store_id}": {"put"},
    "/api/v1/terminals/{terminal_id}": {"put"},
    "/api/v1/staff/{staff_id}": {"put"},
}
CONFIG_KEYED = {
    ("post", "/api/v1/card-types"),
    ("post", "/api/v1/recharge-packages"),
    ("post", "/api/v1/tiers"),
    ("post", "/api/v1/stores"),
    ("post", "/api/v1/stores/{store_id}/terminals"),
    ("post", "/api/v1/staff"),
    ("put", "/api/v1/card-types/{card_type_id}"),
    ("put", "/api/v1/card-types/default"),
    ("put", "/api/v1/recharge-packages/{package_id}"),
    ("put", "/api/v1/tiers/{tier_id}"),
    ("put", "/api/v1/stores/{store_id}"),
    ("put", "/api/v1/terminals/{terminal_id}"),
    ("put", "/api/v1/staff/{staff_id}"),
}
# Every configuration operation, tested role by role in ``test_roles_as_in_the_console``.
CONFIG_ROUTES = {
    ("POST", "/card-types"),
    ("POST", "/recharge-packages"),
    ("POST", "/recharge-packages/{package_id}/active"),
    ("GET", "/wallet-policy"),
    ("PUT", "/wallet-policy"),
    ("GET", "/points-policy"),
    ("PUT", "/points-policy"),
    ("POST", "/tiers"),
    ("GET", "/tier-policy"),
    ("PUT", "/tier-policy"),
    ("GET", "/members/{member_id}/tier"),
    ("POST", "/stores"),
    ("POST", "/stores/{store_id}/terminals"),
    ("GET", "/staff"),
    ("POST", "/staff"),
    ("POST", "/staff/{staff_id}/active"),
    # Edits, tested role by role in ``test_config_edits.py``.
    ("PUT", "/card-types/{card_type_id}"),
    ("GET", "/card-types/default"),
    ("PUT", "/card-types/default"),
    ("PUT", "/recharge-packages/{package_id}"),
    ("PUT", "/tiers/{tier_id}"),
    ("GET", "/tiers/{tier_id}/versions"),
    ("PUT", "/stores/{store_id}"),
    ("PUT", "/terminals/{terminal_id}"),
    ("PUT", "/staff/{staff_id}"),
}


def test_card_types_and_packages_are_created_once_per_key(as_staff):
    owner = as_staff(Role.OWNER)
    body = {"code": "gold", "name": "金卡", "category": "tier"}
    first = owner.post("/card-types", body, **{"Idempotency-Key": "ct-1"})
    again = owner.post("/card-types", body, **{"Idempotency-Key": "ct-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json() and CardType.objects.count() == 1
    other = owner.post("/card-types", {**body, "name": "金卡2"}, **{"Idempotency-Key": "ct-1"})
    assert (other.status_code, error_of(other)["code"]) == (409, "idempotency_key_reused")
    missing = owner.post("/card-types", body)
    assert error_of(missing)["code"] == "idempotency_key_required"

    package = owner.post(
        "/recharge-packages",
        {"name": "充500送50", "pay_fen": 50000, "bonus_fen": 5000},
        **{"Idempotency-Key": "p-1"},
    )
    assert package.status_code == 201, package.content
    package_id = package.json()["id"]
    stopped = owner.post(f"/recharge-packages/{package_id}/active", {"active": False})
    assert stopped.status_code == 200
    assert RechargePackage.objects.get(pk=package_id).is_active is False


def test_a_cashier_may_not_configure(as_staff):
    cashier = as_staff(Role.CASHIER)
    response = cashier.post(
        "/card-types", {"code": "x", "name": "x", "category": "tier"}, **{"Idempotency-Key": "k"}
    )
    assert response.status_code == 403
    assert not CardType.objects.exists()
    assert cashier.get("/points-policy").status_code == 403


def test_tiers_with_rates_per_category_and_the_member_tier(as_staff, make_member):
    owner = as_staff(Role.OWNER)
    body = {
        "code": "silver",
        "name": "银卡",
        "level": 1,
        "discount_permille": 950,
        "category_discounts": {"drinks": 900},
    }
    created = owner.post("/tiers", body, **{"Idempotency-Key": "t-1"})
    assert created.status_code == 201, created.content
    assert created.json()["category_discounts"] == {"drinks": 900}
    bad = owner.post(
        "/tiers",
        {**body, "code": "x", "level": 2, "category_discounts": {"a": 0}},
        **{"Idempotency-Key": "t-2"},
    )
    assert bad.status_code == 422 and Tier.objects.count() == 1
    member = make_member()
    tier = owner.get(f"/members/{member.pk}/tier")
    assert tier.status_code == 200 and tier.json()["tier"]["code"] == "silver"
    assert owner.get("/members/999999/tier").status_code == 404


def test_policies_round_trip_and_refuse_bad_values(as_staff):
    owner = as_staff(Role.OWNER)
    assert owner.get("/points-policy").json()["pending_days"] == 0
    changed = owner.put("/points-policy", {"pending_days": 7, "max_offset_percent": 30})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["pending_days"], changed.json()["max_offset_percent"]) == (7, 30)
    assert PointsPolicy.current().pending_days == 7
    refused = owner.put("/points-policy", {"pending_days": 91})
    assert refused.status_code == 422 and PointsPolicy.current().pending_days == 7

    wallet = owner.put("/wallet-policy", {"spend_order": "bonus_first"})
    assert wallet.status_code == 200 and wallet.json()["spend_order"] == "bonus_first"
    tiers = owner.put("/tier-policy", {"evaluation_period": "quarter"})
    assert tiers.status_code == 200 and tiers.json()["evaluation_period"] == "quarter"


def test_stores_terminals_and_staff(as_staff, stores):
    owner = as_staff(Role.OWNER)
    store = owner.post("/stores", {"code": "S9", "name": "新店"}, **{"Idempotency-Key": "s-1"})
    assert store.status_code == 201, store.content
    store_id = store.json()["id"]
    assert Store.objects.filter(code="S9").count() == 1
    terminal = owner.post(
        f"/stores/{store_id}/terminals",
        {"code": "POS9", "name": "一号机"},
        **{"Idempotency-Key": "t-1"},
    )
    assert terminal.status_code == 201 and terminal.json()["store_id"] == store_id
    staff = owner.post(
        "/staff",
        {
            "username": "li",
            "display_name": "李店员",
            "role": "cashier",
            "password": "Counter-pass-2026",
            "store_ids": [store_id],
        },
        **{"Idempotency-Key": "u-1"},
    )
    assert staff.status_code == 201, staff.content
    assert staff.json()["store_ids"] == [store_id]
    staff_id = staff.json()["id"]
    assert any(s["username"] == "li" for s in owner.get("/staff").json())
    off = owner.post(f"/staff/{staff_id}/active", {"active": False})
    assert off.status_code == 200 and Staff.objects.get(pk=staff_id).is_active is False


ROLE_CASES = [
    # (method, path, body, roles allowed)
    ("GET", "/points-policy", None, {Role.OWNER, Role.HQ_ADMIN}),
    ("GET", "/wallet-policy", None, {Role.OWNER, Role.HQ_ADMIN}),
    ("GET", "/tier-policy", None, {Role.OWNER, Role.HQ_ADMIN}),
    ("GET", "/staff", None, {Role.OWNER, Role.HQ_ADMIN, Role.STORE_MANAGER}),
]


@pytest.mark.parametrize("role", list(Role))
def test_roles_as_in_the_console(as_staff, role):
    from huiyuan.core.permissions import ROLE_PERMS, Perm

    caller = as_staff(role)
    for method, path, _body, _allowed in ROLE_CASES:
        response = caller.call(method, path)
        needed = {
            "/points-policy": Perm.POINTS_CONFIGURE,
            "/wallet-policy": Perm.WALLET_CONFIGURE,
            "/tier-policy": Perm.TIER_CONFIGURE,
            "/staff": Perm.STAFF_MANAGE,
        }[path]
        expected = 200 if needed in ROLE_PERMS[role] else 403
        assert response.status_code == expected, (role, path, response.content)
    writes = [
        ("POST", "/card-types", {"code": f"c{role}", "name": "卡", "category": "tier"}),
        ("PUT", "/points-policy", {"pending_days": 3}),
        ("PUT", "/wallet-policy", {"spend_order": "bonus_first"}),
        ("PUT", "/tier-policy", {"evaluation_period": "year"}),
        ("POST", "/stores", {"code": f"s-{role}", "name": "店"}),
    ]
    perms = {
        "/card-types": Perm.CARD_CONFIGURE,
        "/points-policy": Perm.POINTS_CONFIGURE,
        "/wallet-policy": Perm.WALLET_CONFIGURE,
        "/tier-policy": Perm.TIER_CONFIGURE,
        "/stores": Perm.STORE_MANAGE,
    }
    for method, path, body in writes:
        response = caller.call(method, path, body, **{"Idempotency-Key": f"{role}-{path}"})
        allowed = perms[path] in ROLE_PERMS[role]
        assert (response.status_code < 300) == allowed, (role, path, response.content)
