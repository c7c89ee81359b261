"""Role × endpoint matrix: every endpoint answers each caller as ``ROLE_PERMS`` says.

The expectation is computed from ``ROLE_PERMS`` and the permission each endpoint needs, so
an endpoint that forgets its check (or checks the wrong permission) fails here. A refusal
must leave the archive and the audit log unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from huiyuan.api.tests.conftest import ApiClient, error_of, new_client, snapshot
from huiyuan.core.permissions import ROLE_PERMS, Perm, Role
from huiyuan.members import services
from huiyuan.members.models import Member


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # {id}: the target member, {code}: its number, {dup}: a second member
    perm: Perm | None
    body: dict[str, Any] | None = None
    status: int = 200
    scoped: bool = False  # a write: only within the caller's stores
    prepare: str = ""  # state the target needs first: "frozen" or "cancelled"


ENDPOINTS = [
    Endpoint(
        "create",
        "POST",
        "/members",
        Perm.MEMBER_CREATE,
        {"name": "新会员", "mobile": "13900009999", "store_id": "{store}"},
        status=201,
        scoped=True,
    ),
    Endpoint("list", "GET", "/members", Perm.MEMBER_VIEW),
    Endpoint("search", "POST", "/members/search", Perm.MEMBER_VIEW, {"q": "13812345678"}),
    Endpoint("detail", "GET", "/members/{id}", Perm.MEMBER_VIEW),
    Endpoint("by_code", "GET", "/members/by-code/{code}", Perm.MEMBER_VIEW),
    Endpoint("history", "GET", "/members/{id}/history", Perm.MEMBER_VIEW),
    Endpoint(
        "patch", "PATCH", "/members/{id}", Perm.MEMBER_EDIT, {"occupation": "工程师"}, scoped=True
    ),
    Endpoint(
        "freeze", "POST", "/members/{id}/freeze", Perm.MEMBER_FREEZE, {"reason": "x"}, scoped=True
    ),
    Endpoint(
        "unfreeze",
        "POST",
        "/members/{id}/unfreeze",
        Perm.MEMBER_FREEZE,
        {"reason": "x"},
        scoped=True,
        prepare="frozen",
    ),
    Endpoint(
        "cancel", "POST", "/members/{id}/cancel", Perm.MEMBER_CANCEL, {"reason": "x"}, scoped=True
    ),
    Endpoint(
        "restore",
        "POST",
        "/members/{id}/restore",
        Perm.MEMBER_CANCEL,
        {"reason": "x"},
        scoped=True,
        prepare="cancelled",
    ),
    Endpoint(
        "terminate",
        "POST",
        "/members/{id}/terminate",
        Perm.MEMBER_TERMINATE,
        {"reason": "x"},
        scoped=True,
    ),
    Endpoint(
        "merge",
        "POST",
        "/members/{id}/merge",
        Perm.MEMBER_MERGE,
        {"duplicate_id": "{dup}", "reason": "x"},
        scoped=True,
    ),
    # Reading personal data is limited to the caller's stores (and audited).
    Endpoint("reveal", "POST", "/members/{id}/reveal", Perm.MEMBER_VIEW_PII, scoped=True),
    Endpoint("me", "GET", "/me", None),
    Endpoint("stores", "GET", "/stores", Perm.STORE_VIEW),
    Endpoint("events", "GET", "/events", Perm.EVENT_VIEW),
]

# Staff in every role, plus terminal keys (a key carries a store-scoped role).
CALLERS = [*(("staff", r) for r in Role), ("key", Role.CASHIER), ("key", Role.STORE_MANAGER)]
SCOPED_CALLERS = {
    ("staff", Role.STORE_MANAGER),
    ("staff", Role.CASHIER),
    *(("key", r) for r in Role),
}


def _fill(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return names[value[1:-1]]
    return value


@pytest.fixture
def caller(request, staff, terminal, key_for) -> Callable[[str, Role], ApiClient]:
    def make(kind: str, role: Role) -> ApiClient:
        if kind == "key":
            return ApiClient(new_client(), {"X-API-Key": key_for(terminal, role)})
        client = new_client()
        client.force_login(staff[role])
        return ApiClient(client)

    return make


def _setup(owner, stores, store_index: int, endpoint: Endpoint) -> dict[str, Any]:
    store = stores[store_index]

    def register(name: str, mobile: str) -> Member:
        return services.member_register(
            actor=owner,
            data=services.MemberInput(name=name, mobile=mobile),
            channel="store",
            store_id=store.pk,
        )

    target = register("张三丰", "13812345678")
    duplicate = register("张三", "13700000000")
    if endpoint.prepare == "frozen":
        services.member_freeze(
            actor=owner, member_id=target.pk, earning=True, spending=True, reason="x"
        )
    if endpoint.prepare == "cancelled":
        services.member_cancel(actor=owner, member_id=target.pk, reason="x")
    return {"id": target.pk, "code": target.code, "dup": duplicate.pk, "store": store.pk}


def _call(client: ApiClient, endpoint: Endpoint, names: dict[str, Any]) -> Any:
    path = endpoint.path.format(**names)
    body = _fill(endpoint.body, names) if endpoint.body is not None else None
    return client.call(endpoint.method, path, body if endpoint.method != "GET" else None)


def _allowed(role: Role, endpoint: Endpoint) -> bool:
    return endpoint.perm is None or endpoint.perm in ROLE_PERMS[role]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
@pytest.mark.parametrize("who", CALLERS, ids=lambda c: f"{c[0]}-{c[1].value}")
def test_role_matrix_at_own_store(caller, owner, stores, who, endpoint):
    names = _setup(owner, stores, 0, endpoint)
    client = caller(*who)
    before = snapshot()
    response = _call(client, endpoint, names)
    if _allowed(who[1], endpoint):
        assert response.status_code == endpoint.status, response.content
    else:
        assert response.status_code == 403, response.content
        assert error_of(response)["code"] == "permission_denied"
        assert error_of(response)["details"] == {"permission": endpoint.perm.value}
        assert snapshot() == before


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.perm], ids=lambda e: e.name)
@pytest.mark.parametrize("who", CALLERS, ids=lambda c: f"{c[0]}-{c[1].value}")
def test_role_matrix_at_another_store(caller, owner, stores, who, endpoint):
    """Writes about another store's members are refused to store-scoped callers."""
    names = _setup(owner, stores, 1, endpoint)
    client = caller(*who)
    before = snapshot()
    response = _call(client, endpoint, names)
    if not _allowed(who[1], endpoint):
        expected = (403, "permission_denied")
    elif endpoint.scoped and who in SCOPED_CALLERS:
        expected = (403, "store_forbidden")
    else:
        expected = (endpoint.status, None)
    assert response.status_code == expected[0], response.content
    if expected[1] is not None:
        assert error_of(response)["code"] == expected[1]
        assert snapshot() == before


def test_every_routed_operation_is_in_the_matrix():
    from huiyuan.api.urls import api

    schema = api.get_openapi_schema()
    routed = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, operations in schema["paths"].items()
        for method in operations
    }
    from huiyuan.api.tests.test_activities import ACTIVITY_ROUTES
    from huiyuan.api.tests.test_analytics import ANALYTICS_ROUTES
    from huiyuan.api.tests.test_benefits import BENEFIT_ROUTES
    from huiyuan.api.tests.test_card_batches import CARD_BATCH_ROUTES
    from huiyuan.api.tests.test_care import CARE_ROUTES
    from huiyuan.api.tests.test_catalog_permissions import CATALOG_ENDPOINTS
    from huiyuan.api.tests.test_config import CONFIG_ROUTES
    from huiyuan.api.tests.test_coupons import COUPON_ROUTES
    from huiyuan.api.tests.test_followups import FOLLOWUP_ROUTES
    from huiyuan.api.tests.test_gifts import GIFT_ROUTES
    from huiyuan.api.tests.test_imports import IMPORT_ROUTES
    from huiyuan.api.tests.test_money_permissions import MONEY_ENDPOINTS
    from huiyuan.api.tests.test_offline import OFFLINE_ROUTES
    from huiyuan.api.tests.test_packages import PACKAGE_ROUTES
    from huiyuan.api.tests.test_payments import PAYMENT_ROUTES
    from huiyuan.api.tests.test_promotions import PROMOTION_ROUTES
    from huiyuan.api.tests.test_referrals import REFERRAL_ROUTES
    from huiyuan.api.tests.test_sales_basket import SALES_ROUTES_TESTED_BY_ROLE
    from huiyuan.api.tests.test_segments import SEGMENT_ROUTES
    from huiyuan.api.tests.test_settings_api import SETTINGS_ROUTES
    from huiyuan.api.tests.test_stock import STOCK_ROUTES
    from huiyuan.api.tests.test_storeops import STOREOPS_ROUTES
    from huiyuan.api.tests.test_webhooks import WEBHOOK_ROUTES

    covered = {(e.method, e.path.replace("{id}", "{member_id}")) for e in ENDPOINTS}
    covered |= {(e.method, e.path) for e in MONEY_ENDPOINTS}
    covered |= {(e.method, e.route) for e in CATALOG_ENDPOINTS}
    covered |= CARD_BATCH_ROUTES
    covered |= SALES_ROUTES_TESTED_BY_ROLE
    covered |= PACKAGE_ROUTES
    covered |= BENEFIT_ROUTES
    covered |= REFERRAL_ROUTES
    covered |= STOREOPS_ROUTES
    covered |= STOCK_ROUTES
    covered |= GIFT_ROUTES
    covered |= CARE_ROUTES
    covered |= ACTIVITY_ROUTES
    covered |= PAYMENT_ROUTES
    covered |= FOLLOWUP_ROUTES
    covered |= ANALYTICS_ROUTES
    covered |= CONFIG_ROUTES
    covered |= COUPON_ROUTES
    covered |= IMPORT_ROUTES
    covered |= PROMOTION_ROUTES
    covered |= OFFLINE_ROUTES
    covered |= WEBHOOK_ROUTES
    covered |= SEGMENT_ROUTES
    covered |= SETTINGS_ROUTES
    assert routed == covered
