"""Store, terminal, staff and API key lists: exact rows, scoped to the actor."""

from __future__ import annotations

import pytest

from huiyuan.core.errors import NotFound, PermissionDenied
from huiyuan.core.permissions import Role
from huiyuan.members.services import MemberInput, member_register
from huiyuan.stores import selectors, services
from huiyuan.stores.models import Terminal

pytestmark = pytest.mark.django_db


def add_member(owner, store, mobile):
    return member_register(
        actor=owner,
        data=MemberInput(name="测试", mobile=mobile),
        channel="store",
        store_id=store.pk,
    )


def test_store_list_counts_members_and_terminals(actors, owner, stores):
    add_member(owner, stores[0], "13800000001")
    add_member(owner, stores[0], "13800000002")
    add_member(owner, stores[1], "13800000003")
    Terminal.objects.create(store=stores[0], code="T1", name="1号台")
    rows = [
        (s.code, s.member_count, s.terminal_count)
        for s in selectors.store_list(actor=actors[Role.OWNER])
    ]
    assert rows == [("S01", 2, 1), ("S02", 1, 0)]


def test_store_manager_lists_only_their_stores(actors, stores):
    rows = [s.code for s in selectors.store_list(actor=actors[Role.STORE_MANAGER])]
    assert rows == ["S01"]
    assert [s.code for s in selectors.store_choices(actor=actors[Role.STORE_MANAGER])] == ["S01"]


def test_store_get_hides_stores_outside_the_scope(actors, stores):
    assert selectors.store_get(actor=actors[Role.STORE_MANAGER], store_id=stores[0].pk) == stores[0]
    with pytest.raises(NotFound):
        selectors.store_get(actor=actors[Role.STORE_MANAGER], store_id=stores[1].pk)


def test_store_list_needs_store_view(actors, stores):
    with pytest.raises(PermissionDenied):
        selectors.store_list(actor=actors[Role.CASHIER])


def test_terminal_list_is_scoped_and_counts_active_keys(actors, stores, owner):
    t1 = services.terminal_create(actor=owner, store_id=stores[0].pk, code="A1", name="一号")
    t2 = services.terminal_create(actor=owner, store_id=stores[1].pk, code="B1", name="二号")
    key, _ = services.api_key_create(actor=owner, terminal_id=t1.pk, name="收银")
    services.api_key_create(actor=owner, terminal_id=t1.pk, name="备用")
    services.api_key_revoke(actor=owner, api_key_id=key.pk)
    everything = [(t.code, t.active_key_count) for t in selectors.terminal_list(actor=owner)]
    assert everything == [("A1", 1), ("B1", 0)]
    manager = actors[Role.STORE_MANAGER]
    assert [t.pk for t in selectors.terminal_list(actor=manager)] == [t1.pk]
    assert [t.pk for t in selectors.terminal_list(actor=owner, store_id=stores[1].pk)] == [t2.pk]


def test_api_key_list_is_scoped_to_the_actors_stores(actors, stores, owner):
    t1 = services.terminal_create(actor=owner, store_id=stores[0].pk, code="A1", name="一号")
    t2 = services.terminal_create(actor=owner, store_id=stores[1].pk, code="B1", name="二号")
    k1, _ = services.api_key_create(actor=owner, terminal_id=t1.pk, name="k1")
    k2, _ = services.api_key_create(actor=owner, terminal_id=t2.pk, name="k2")
    assert [k.pk for k in selectors.api_key_list(actor=owner)] == [k2.pk, k1.pk]
    assert [k.pk for k in selectors.api_key_list(actor=actors[Role.STORE_MANAGER])] == [k1.pk]
    with pytest.raises(PermissionDenied):
        selectors.api_key_list(actor=actors[Role.MARKETER])


def test_staff_list_active_first_then_by_user_name(actors, staff, owner):
    services.staff_set_active(actor=owner, staff_id=staff[Role.CASHIER].pk, active=False)
    names = [s.username for s in selectors.staff_list(actor=owner)]
    assert names == ["agent", "hq", "manager", "marketer", "owner", "cashier"]
    # A store manager sees the staff of its store (and manages some of them: test_staff_scope)
    manager_sees = [s.username for s in selectors.staff_list(actor=actors[Role.STORE_MANAGER])]
    assert manager_sees == ["manager", "cashier"]
    with pytest.raises(PermissionDenied):
        selectors.staff_list(actor=actors[Role.MARKETER])


def test_staff_choices_for_a_store_manager_are_colleagues(actors, staff):
    names = [s.username for s in selectors.staff_choices(actor=actors[Role.STORE_MANAGER])]
    assert names == ["cashier", "manager"]
    assert len(selectors.staff_choices(actor=actors[Role.OWNER])) == 6
