"""The store-scope policy (通存通兑): defaults, who it binds, refusals, and changing it."""

from __future__ import annotations

import pytest
from django.utils import translation

from huiyuan.audit.models import AuditEvent
from huiyuan.core.errors import PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Actor, Role
from huiyuan.stores import services
from huiyuan.stores.models import StoreScopePolicy
from huiyuan.stores.scope import (
    CONFIGURABLE_OPS,
    DEFAULT_POLICY,
    OUT_OF_STORE_SCOPE,
    Reach,
    ScopeOp,
    scope_allows,
    scope_policy,
    scope_require,
    stores_in_view,
)

pytestmark = pytest.mark.django_db


def test_the_default_policy_is_the_documented_one():
    """Spend, recharge and loss reports anywhere; everything else at the card's own store."""
    assert {op for op, reach in DEFAULT_POLICY.items() if reach == Reach.CHAIN} == {
        ScopeOp.SPEND,
        ScopeOp.RECHARGE,
        ScopeOp.REPORT_LOST,
    }
    assert set(DEFAULT_POLICY) == set(ScopeOp)
    assert ScopeOp.CARD_ISSUE not in CONFIGURABLE_OPS
    assert scope_policy() == DEFAULT_POLICY


def test_the_policy_document_lists_every_operation():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "store-scope.md").read_text()
    for op in ScopeOp:
        assert f"`{op.value}`" in doc, op


@pytest.mark.parametrize("role", [Role.OWNER, Role.HQ_ADMIN, Role.CALL_CENTER, Role.MARKETER])
def test_chain_wide_roles_are_never_bound(actors, stores, role):
    for op in ScopeOp:
        scope_require(actors[role], op, home_store_id=stores[1].pk)
        scope_require(actors[role], op, home_store_id=None)


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.CASHIER])
def test_store_roles_do_everything_at_their_own_store(actors, stores, role):
    for op in ScopeOp:
        assert scope_allows(actors[role], op, home_store_id=stores[0].pk)


def test_a_store_role_at_another_store_follows_the_policy(
    actors, stores, django_assert_num_queries
):
    cashier = actors[Role.CASHIER]
    with django_assert_num_queries(0):  # own store: no policy read
        scope_require(cashier, ScopeOp.REISSUE, home_store_id=stores[0].pk)
    scope_require(cashier, ScopeOp.SPEND, home_store_id=stores[1].pk)
    scope_require(cashier, ScopeOp.REPORT_LOST, home_store_id=stores[1].pk)
    with pytest.raises(PermissionDenied) as refused, translation.override("zh-hans"):
        scope_require(cashier, ScopeOp.REISSUE, home_store_id=stores[1].pk)
    assert refused.value.code == OUT_OF_STORE_SCOPE
    assert refused.value.details == {"operation": "reissue", "store_id": stores[1].pk}
    assert str(refused.value.message) == "补卡：此卡属于其他门店，只能由发卡门店或总部办理。"


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (ScopeOp.SALE_REVERSE, "撤销消费：此笔消费在其他门店产生，只能由该门店或总部办理。"),
        (ScopeOp.TIER_MOVE, "手工调整会员等级：该会员属于其他门店，只能由入会门店或总部办理。"),
        (ScopeOp.CARD_ISSUE, "发卡：只能在您所属的门店办理。"),
    ],
)
def test_the_refusal_names_the_operation_and_whose_it_is(actors, stores, op, message):
    with pytest.raises(PermissionDenied) as refused, translation.override("zh-hans"):
        scope_require(actors[Role.STORE_MANAGER], op, home_store_id=stores[1].pk)
    assert str(refused.value.message) == message


def test_nothing_without_a_home_store_is_served_at_home_only(actors):
    cashier = actors[Role.CASHIER]
    assert scope_allows(cashier, ScopeOp.SPEND, home_store_id=None)
    assert not scope_allows(cashier, ScopeOp.REFUND, home_store_id=None)


def test_a_terminal_key_is_bound_to_its_store(stores):
    key = Actor(role=Role.STORE_MANAGER, store_ids=frozenset({stores[0].pk}), store_id=stores[0].pk)
    assert scope_allows(key, ScopeOp.CANCEL, home_store_id=stores[0].pk)
    assert not scope_allows(key, ScopeOp.CANCEL, home_store_id=stores[1].pk)


def test_head_office_changes_the_policy_and_it_is_audited(actors, stores):
    hq = actors[Role.HQ_ADMIN]
    cashier = actors[Role.CASHIER]
    services.store_scope_policy_update(actor=hq, rules={"refund": "chain", "spend": "home"})
    assert scope_policy()[ScopeOp.REFUND] == Reach.CHAIN
    assert scope_policy()[ScopeOp.SPEND] == Reach.HOME
    assert scope_allows(cashier, ScopeOp.REFUND, home_store_id=stores[1].pk)
    assert not scope_allows(cashier, ScopeOp.SPEND, home_store_id=stores[1].pk)
    event = AuditEvent.objects.get(action="store_scope_policy.updated")
    assert (event.before, event.after) == (
        {"refund": "home", "spend": "chain"},
        {"refund": "chain", "spend": "home"},
    )
    # Saving the same again changes and records nothing.
    services.store_scope_policy_update(actor=hq, rules={"refund": "chain"})
    assert AuditEvent.objects.filter(action="store_scope_policy.updated").count() == 1


@pytest.mark.parametrize(
    ("rules", "code"),
    [
        ({"card_issue": "chain"}, "unknown_scope_operation"),
        ({"teleport": "chain"}, "unknown_scope_operation"),
        ({"refund": "everywhere"}, "invalid_scope_reach"),
    ],
)
def test_bad_policy_changes_are_refused_and_change_nothing(actors, rules, code):
    before = list(StoreScopePolicy.objects.values())
    with pytest.raises(ValidationFailed) as refused:
        services.store_scope_policy_update(actor=actors[Role.OWNER], rules=rules)
    assert refused.value.code == code
    assert list(StoreScopePolicy.objects.values()) == before
    assert not AuditEvent.objects.filter(action="store_scope_policy.updated").exists()


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.CASHIER, Role.MARKETER])
def test_only_owner_and_head_office_change_the_policy(actors, role):
    with pytest.raises(PermissionDenied) as refused:
        services.store_scope_policy_update(actor=actors[role], rules={"refund": "chain"})
    assert refused.value.code == "permission_denied"
    assert scope_policy() == DEFAULT_POLICY


def test_stores_in_view(actors, stores):
    manager, owner = actors[Role.STORE_MANAGER], actors[Role.OWNER]
    assert stores_in_view(owner) is None
    assert stores_in_view(owner, stores[1].pk) == frozenset({stores[1].pk})
    assert stores_in_view(manager) == frozenset({stores[0].pk})
    assert stores_in_view(manager, stores[0].pk) == frozenset({stores[0].pk})
    with pytest.raises(PermissionDenied) as refused:
        stores_in_view(manager, stores[1].pk)
    assert refused.value.code == "store_forbidden"
