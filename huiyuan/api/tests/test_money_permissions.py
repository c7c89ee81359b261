"""Role × endpoint matrix for the money endpoints, computed from ``ROLE_PERMS``.

Like ``test_permissions`` for members: every caller either gets the endpoint's success
status or a 403 with the permission it lacks, and a refusal changes no balance, lot, key,
card, sale or audit row. ``MONEY_ENDPOINTS`` is part of the guard there: an endpoint
missing from both matrices fails it.

At another store the chain's store-scope policy (``huiyuan.stores.scope``, 通存通兑)
decides for store-scoped callers: each endpoint names the operation it is; the services'
own store × role × operation matrix is ``huiyuan/stores/tests/test_scope_matrix.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from huiyuan.api.auth import SESSION_STORE_KEY
from huiyuan.api.tests import money
from huiyuan.api.tests.conftest import ApiClient, error_of, new_client
from huiyuan.cards import services as card_services
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.permissions import ROLE_PERMS, Perm, Role
from huiyuan.points.services import points_adjust
from huiyuan.stores.scope import DEFAULT_POLICY, Reach, ScopeOp
from huiyuan.tiers.services import tier_create


@dataclass(frozen=True)
class MoneyEndpoint:
    name: str
    method: str
    path: str  # OpenAPI placeholders, filled from the prepared names
    perm: Perm | None
    body: dict[str, Any] | None = None
    status: int = 200
    scope: ScopeOp | None = None  # the store-scope policy's operation (another store's card)
    prepare: str = ""  # lost, empty, family, sale, walkin, tier
    idem: bool = False  # sends an Idempotency-Key


E = MoneyEndpoint
V = Perm.MEMBER_VIEW
MONEY_ENDPOINTS = [
    # cards
    E(
        "card_issue",
        "POST",
        "/cards",
        Perm.CARD_ISSUE,
        {"card_type_id": "{ctype}", "member_id": "{member_id}", "store_id": "{store}"},
        status=201,
        scope=ScopeOp.CARD_ISSUE,
    ),
    E("card_types", "GET", "/card-types", None),
    E("card_by_number", "GET", "/cards/by-number/{number}", V),
    E("card_detail", "GET", "/cards/{card_id}", V),
    E("member_cards", "GET", "/members/{member_id}/cards", V),
    E("card_lots", "GET", "/cards/{card_id}/lots", V),
    E("card_entries", "GET", "/cards/{card_id}/entries", V),
    E("card_qr", "GET", "/cards/{card_id}/qr.svg", V),
    E("card_barcode", "GET", "/cards/{card_id}/barcode.svg", V),
    E(
        "card_holder",
        "POST",
        "/cards/{card_id}/holders",
        Perm.CARD_ISSUE,
        {"member_id": "{member2}"},
        status=201,
        prepare="family",
        scope=ScopeOp.ADD_HOLDER,
    ),
    E(
        "card_lost",
        "POST",
        "/cards/{card_id}/report-lost",
        Perm.CARD_MANAGE,
        {"reason": "x"},
        scope=ScopeOp.REPORT_LOST,
    ),
    E(
        "card_found",
        "POST",
        "/cards/{card_id}/found",
        Perm.CARD_MANAGE,
        {"reason": "x"},
        prepare="lost",
        scope=ScopeOp.MARK_FOUND,
    ),
    E(
        "card_reissue",
        "POST",
        "/cards/{card_id}/reissue",
        Perm.CARD_MANAGE,
        {"reason": "x"},
        status=201,
        idem=True,
        scope=ScopeOp.REISSUE,
    ),
    E(
        "card_renew",
        "POST",
        "/cards/{card_id}/renew",
        Perm.CARD_MANAGE,
        {"months": 12},
        scope=ScopeOp.RENEW,
    ),
    E(
        "card_cancel",
        "POST",
        "/cards/{card_id}/cancel",
        Perm.CARD_MANAGE,
        {"reason": "x"},
        prepare="empty",
        scope=ScopeOp.CANCEL,
    ),
    # wallet
    E(
        "recharge",
        "POST",
        "/cards/{card_id}/recharge",
        Perm.WALLET_RECHARGE,
        {"amount_fen": 1000, "method": "cash"},
        status=201,
        idem=True,
        scope=ScopeOp.RECHARGE,
    ),
    E(
        "refund",
        "POST",
        "/cards/{card_id}/refund",
        Perm.WALLET_REFUND,
        {"amount_fen": 1000, "method": "cash", "reason": "x"},
        status=201,
        idem=True,
        scope=ScopeOp.REFUND,
    ),
    E("packages", "GET", "/recharge-packages", None),
    # sales
    E(
        "sale_quick",
        "POST",
        "/sales/quick",
        Perm.SALE_CREATE,
        {"card_id": "{card_id}", "amount_fen": 1000, "balance_fen": 1000},
        status=201,
        idem=True,
        scope=ScopeOp.SPEND,
    ),
    E(
        "sale_quote",
        "POST",
        "/sales/quote",
        Perm.SALE_CREATE,
        {"lines": [{"product_id": "{product}", "quantity_milli": 1000}], "card_id": "{card_id}"},
        prepare="product",
    ),
    E(
        "sale_complete",
        "POST",
        "/sales",
        Perm.SALE_CREATE,
        {
            "lines": [{"product_id": "{product}", "quantity_milli": 1000}],
            "card_id": "{card_id}",
            "balance_fen": 800,
        },
        status=201,
        idem=True,
        scope=ScopeOp.SPEND,
        prepare="product",
    ),
    E("sale_list", "GET", "/sales", V, prepare="sale"),
    E("sale_export", "GET", "/sales/export.xlsx", Perm.REPORT_VIEW, prepare="sale"),
    E("sale_detail", "GET", "/sales/{sale_id}", V, prepare="sale"),
    E("sale_by_number", "GET", "/sales/by-number/{number}", V, prepare="sale"),
    E(
        "sale_reverse",
        "POST",
        "/sales/{sale_id}/reverse",
        Perm.SALE_REVERSE,
        {"reason": "x"},
        scope=ScopeOp.SALE_REVERSE,
        prepare="sale",
        idem=True,
    ),
    E(
        "sale_supplement",
        "POST",
        "/sales/{number}/supplement-points",
        Perm.SALE_CREATE,
        {"card_id": "{card_id}"},
        prepare="walkin",
        idem=True,
        scope=ScopeOp.POINTS_SUPPLEMENT,
    ),
    # points
    E(
        "points_adjust",
        "POST",
        "/cards/{card_id}/points/adjust",
        Perm.POINTS_ADJUST,
        {"delta": 10, "reason": "x"},
        status=201,
        idem=True,
        scope=ScopeOp.POINTS_ADJUST,
    ),
    E(
        "points_revoke",
        "POST",
        "/cards/{card_id}/points/revoke",
        Perm.POINTS_ADJUST,
        {"operation_id": "{grant}", "reason": "x"},
        status=201,
        prepare="grant",
        idem=True,
        scope=ScopeOp.POINTS_REVOKE,
    ),
    E("rules", "GET", "/points/rules", None),
    E(
        "rule_publish",
        "POST",
        "/points/rules",
        Perm.POINTS_CONFIGURE,
        {"code": "new", "name": "新规则"},
        status=201,
    ),
    E("dry_run", "POST", "/points/dry-run", Perm.POINTS_CONFIGURE, {"amount_fen": 1000}),
    # tiers
    E("tiers", "GET", "/tiers", None),
    E(
        "tier_move",
        "POST",
        "/members/{member_id}/tier",
        Perm.TIER_MOVE,
        {"tier_id": "{tier}", "reason": "x"},
        scope=ScopeOp.TIER_MOVE,
        prepare="tier",
    ),
    # reports
    E("outstanding", "GET", "/reports/outstanding", Perm.REPORT_VIEW),
    E("points_liability", "GET", "/reports/points-liability", Perm.REPORT_VIEW),
]

CALLERS = [*(("staff", r) for r in Role), ("key", Role.CASHIER), ("key", Role.STORE_MANAGER)]
SCOPED_CALLERS = {
    ("staff", Role.STORE_MANAGER),
    ("staff", Role.CASHIER),
    *(("key", r) for r in Role),
}


def _fill(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return names[value[1:-1]]
    return value


@pytest.fixture
def caller(staff, stores, terminal, key_for) -> Callable[[str, Role], ApiClient]:
    """A caller at the first store (chain-wide staff choose it, as in the console)."""

    def make(kind: str, role: Role) -> ApiClient:
        if kind == "key":
            return ApiClient(new_client(), {"X-API-Key": key_for(terminal, role)})
        client = new_client()
        client.force_login(staff[role])
        session = client.session
        session[SESSION_STORE_KEY] = stores[0].pk
        session.save()
        return ApiClient(client)

    return make


def _setup(owner, staff, stores, store_index: int, endpoint: MoneyEndpoint) -> dict[str, Any]:
    """A funded card (¥100, 100 points) of a member at the store, and what the endpoint needs."""
    store = stores[store_index]
    there = money.at_store(staff[Role.OWNER], store)
    money.rule(owner)
    holder = money.member(owner, store, "13800000001")
    card = money.card(there, owner, holder, store)
    money.fund(there, owner, card, 10000, 0, 100)
    names: dict[str, Any] = {
        "store": store.pk,
        "ctype": card.card_type_id,
        "member_id": holder.pk,
        "card_id": card.pk,
        "number": card.number,
    }
    if endpoint.prepare == "lost":
        card_services.card_report_lost(actor=owner, card_id=card.pk, reason="x")
    if endpoint.prepare == "empty":
        names["card_id"] = money.card(there, owner, holder, store).pk
    if endpoint.prepare == "family":
        money.card_type(owner, "family", name="家庭卡", holding="family")
        names["card_id"] = money.card(there, owner, holder, store, code="family").pk
        names["member2"] = money.member(owner, store, "13800000002", name="李四").pk
    if endpoint.prepare in ("sale", "walkin"):
        sale = sale_quick(
            actor=there,
            data=QuickSaleInput(
                amount_fen=1000,
                card_id=card.pk if endpoint.prepare == "sale" else None,
                balance_fen=1000 if endpoint.prepare == "sale" else 0,
                external_method="" if endpoint.prepare == "sale" else "cash",
            ),
            idempotency_key=money.key(),
        )
        names["sale_id"], names["number"] = sale.pk, sale.number
    if endpoint.prepare == "grant":
        names["grant"] = points_adjust(
            actor=owner, card_id=card.pk, delta=10, reason="x", idempotency_key=money.key()
        ).pk
    if endpoint.prepare == "product":
        from huiyuan.catalog.services.products import ProductInput, product_create

        names["product"] = product_create(
            actor=owner, data=ProductInput(sku="TEA-1", name="绿茶", list_price_fen=800)
        ).pk
    if endpoint.prepare == "tier":
        names["tier"] = tier_create(actor=owner, code="gold", name="金卡", level=2).pk
    return names


def _call(client: ApiClient, endpoint: MoneyEndpoint, names: dict[str, Any]) -> Any:
    path = endpoint.path.format(**names)
    headers = {"Idempotency-Key": money.key()} if endpoint.idem else {}
    if endpoint.method == "GET":
        return client.get(path, **headers)
    return client.call(endpoint.method, path, _fill(endpoint.body or {}, names), **headers)


def _allowed(role: Role, endpoint: MoneyEndpoint) -> bool:
    return endpoint.perm is None or endpoint.perm in ROLE_PERMS[role]


@pytest.mark.parametrize("endpoint", MONEY_ENDPOINTS, ids=lambda e: e.name)
@pytest.mark.parametrize("who", CALLERS, ids=lambda c: f"{c[0]}-{c[1].value}")
def test_money_matrix_at_own_store(caller, owner, staff, stores, who, endpoint):
    names = _setup(owner, staff, stores, 0, endpoint)
    client = caller(*who)
    before = money.money_snapshot()
    response = _call(client, endpoint, names)
    if _allowed(who[1], endpoint):
        assert response.status_code == endpoint.status, response.content
    else:
        assert response.status_code == 403, response.content
        assert error_of(response)["code"] == "permission_denied"
        assert error_of(response)["details"] == {"permission": endpoint.perm.value}  # type: ignore[union-attr]
        assert money.money_snapshot() == before


@pytest.mark.parametrize("endpoint", [e for e in MONEY_ENDPOINTS if e.perm], ids=lambda e: e.name)
@pytest.mark.parametrize("who", CALLERS, ids=lambda c: f"{c[0]}-{c[1].value}")
def test_money_matrix_at_another_store(caller, owner, staff, stores, who, endpoint):
    """A terminal key and store staff act at their store: on another store's card, sale or
    member, the store-scope policy decides — spend, recharge and loss reports anywhere
    (通存通兑); issue, found, renew, reissue, cancel, holders, refund, points adjustments,
    revoke, 补积分, reversal and tier moves only at the home store (out_of_store_scope)."""
    names = _setup(owner, staff, stores, 1, endpoint)
    client = caller(*who)
    before = money.money_snapshot()
    response = _call(client, endpoint, names)
    if not _allowed(who[1], endpoint):
        expected = (403, "permission_denied")
    elif (
        endpoint.scope is not None
        and who in SCOPED_CALLERS
        and DEFAULT_POLICY[endpoint.scope] == Reach.HOME
    ):
        expected = (403, "out_of_store_scope")
    else:
        expected = (endpoint.status, None)
    assert response.status_code == expected[0], response.content
    if expected[1] is not None:
        assert error_of(response)["code"] == expected[1]
        assert money.money_snapshot() == before


def test_every_operation_of_the_store_scope_policy_has_an_endpoint_here():
    assert {e.scope for e in MONEY_ENDPOINTS if e.scope is not None} == set(ScopeOp)


# A cashier may reverse a sale or refund stored value with a manager's authorisation
# (``authorised_by``: the manager's username and password), as at the counter. Every caller,
# with the first store's manager authorising: who holds the permission needs none (it is
# not checked); who holds the base permission (sale.create, wallet.recharge) succeeds and
# the audit names the manager; anyone else is refused for the base permission.
AUTHORISED = {
    "sale_reverse": (Perm.SALE_CREATE, "sale.reversed"),
    "refund": (Perm.WALLET_RECHARGE, "wallet.refunded"),
}
MANAGER = {"username": "manager", "password": "Counter-pass-2026"}


@pytest.mark.parametrize(
    "endpoint", [e for e in MONEY_ENDPOINTS if e.name in AUTHORISED], ids=lambda e: e.name
)
@pytest.mark.parametrize("who", CALLERS, ids=lambda c: f"{c[0]}-{c[1].value}")
def test_money_matrix_with_a_managers_authorisation(caller, owner, staff, stores, who, endpoint):
    from huiyuan.audit.models import AuditEvent

    names = _setup(owner, staff, stores, 0, endpoint)
    client = caller(*who)
    before = money.money_snapshot()
    body = {**_fill(endpoint.body or {}, names), "authorised_by": MANAGER}
    path = endpoint.path.format(**names)
    response = client.post(path, body, **{"Idempotency-Key": money.key()})
    base, action = AUTHORISED[endpoint.name]
    role = who[1]
    if _allowed(role, endpoint) or base in ROLE_PERMS[role]:
        assert response.status_code == endpoint.status, response.content
        event = AuditEvent.objects.get(action=action)
        authorised = None if _allowed(role, endpoint) else "manager"
        assert event.after.get("authorised_by") == authorised
    else:
        assert response.status_code == 403, response.content
        assert error_of(response)["code"] == "permission_denied"
        assert error_of(response)["details"] == {"permission": base.value}
        assert money.money_snapshot() == before
