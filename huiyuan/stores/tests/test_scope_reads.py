"""Store scope on reads: reports, lists, look-ups and the dashboard show a store its own.

The chain: S01 and S02, a member and a funded card at each (S01: ¥500 + ¥50 bonus and
1,200 points; S02: ¥300 and 700 points). The manager and the cashier work at S01.
"""

from __future__ import annotations

import uuid

import pytest

from huiyuan.cards.services import card_issue, card_type_create
from huiyuan.checkout.selectors import member_sales
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.errors import PermissionDenied
from huiyuan.core.permissions import Role
from huiyuan.members import selectors as members
from huiyuan.members.services import MemberInput, member_register, member_update
from huiyuan.points.selectors import points_liability
from huiyuan.points.services import points_adjust
from huiyuan.wallet.selectors import outstanding_by_store, outstanding_total
from huiyuan.wallet.services import recharge_package_create, wallet_recharge

pytestmark = pytest.mark.django_db


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def chain(staff, stores, owner):
    ctype = card_type_create(actor=owner, code="std", name="普通卡", category="tier")
    made = {}
    for store, name, mobile, principal, bonus, points in (
        (stores[0], "王小明", "13700000001", 50000, 5000, 1200),
        (stores[1], "李四光", "13900001111", 30000, 0, 700),
    ):
        there = staff[Role.OWNER].as_actor(store_id=store.pk)
        member = member_register(
            actor=owner,
            data=MemberInput(name=name, mobile=mobile, email="m@example.com"),
            channel="store",
            store_id=store.pk,
        )
        card = card_issue(
            actor=there, card_type_id=ctype.pk, member_id=member.pk, store_id=store.pk
        )
        package = (
            recharge_package_create(actor=owner, name="充送", pay_fen=principal, bonus_fen=bonus)
            if bonus
            else None
        )
        wallet_recharge(
            actor=there,
            card_id=card.pk,
            amount_fen=principal,
            method="cash",
            package_id=package.pk if package else None,
            idempotency_key=key(),
        )
        points_adjust(
            actor=there, card_id=card.pk, delta=points, reason="开卡礼", idempotency_key=key()
        )
        made[store.code] = (member, card)
    return made


# ---------------------------------------------------------------------------- reports


def test_prepaid_total_is_the_viewers_stores(actors, stores, chain):
    assert outstanding_total(actor=actors[Role.OWNER]) == {"principal": 80000, "bonus": 5000}
    assert outstanding_total(actor=actors[Role.STORE_MANAGER]) == {
        "principal": 50000,
        "bonus": 5000,
    }
    assert outstanding_total(actor=actors[Role.OWNER], store_id=stores[1].pk) == {
        "principal": 30000,
        "bonus": 0,
    }
    with pytest.raises(PermissionDenied) as refused:
        outstanding_total(actor=actors[Role.STORE_MANAGER], store_id=stores[1].pk)
    assert refused.value.code == "store_forbidden"


def test_prepaid_per_store_is_the_viewers_stores(actors, stores, chain):
    rows = outstanding_by_store(actor=actors[Role.STORE_MANAGER])
    assert [(r.store.code, r.recharged, r.bonus_granted) for r in rows] == [("S01", 50000, 5000)]
    rows = outstanding_by_store(actor=actors[Role.HQ_ADMIN], store_id=stores[1].pk)
    assert [(r.store.code, r.recharged, r.bonus_granted) for r in rows] == [("S02", 30000, 0)]
    rows = outstanding_by_store(actor=actors[Role.HQ_ADMIN])
    assert [r.store.code for r in rows] == ["S01", "S02"]


def test_points_liability_is_the_viewers_stores(actors, stores, chain):
    whole = points_liability(actor=actors[Role.OWNER])
    assert (whole["points"], whole["cards"], whole["adjusted"]) == (1900, 2, 1900)
    mine = points_liability(actor=actors[Role.STORE_MANAGER])
    assert (mine["points"], mine["cards"], mine["value_fen"], mine["adjusted"]) == (
        1200,
        1,
        1200,
        1200,
    )
    theirs = points_liability(actor=actors[Role.MARKETER], store_id=stores[1].pk)
    assert (theirs["points"], theirs["cards"], theirs["adjusted"]) == (700, 1, 700)
    with pytest.raises(PermissionDenied):
        points_liability(actor=actors[Role.STORE_MANAGER], store_id=stores[1].pk)


def test_points_flows_count_at_the_store_where_they_happened(actors, staff, stores, chain):
    """S02's member earns at S01 (通存通兑): S01 issued those points, S02's card holds them."""
    from huiyuan.points.services import earn_rule_publish

    earn_rule_publish(actor=actors[Role.OWNER], code="base", name="1元1分", unit_fen=100)
    _member, card = chain["S02"]
    sale_quick(
        actor=actors[Role.CASHIER],
        data=QuickSaleInput(amount_fen=10000, card_id=card.pk, balance_fen=10000),
        idempotency_key=key(),
    )
    s01 = points_liability(actor=actors[Role.STORE_MANAGER])
    s02 = points_liability(actor=actors[Role.OWNER], store_id=stores[1].pk)
    assert (s01["points"], s01["issued"]) == (1200, 100)
    assert (s02["points"], s02["issued"]) == (800, 0)


# ------------------------------------------------------------------- lists and look-ups


def _codes(rows) -> list[str]:
    return [m.code for m in rows]


def test_member_list_is_the_viewers_stores(actors, stores, chain):
    ours, theirs = chain["S01"][0], chain["S02"][0]
    everyone = members.MemberFilters()
    assert set(_codes(members.member_list(actor=actors[Role.OWNER], filters=everyone))) == {
        ours.code,
        theirs.code,
    }
    manager = actors[Role.STORE_MANAGER]
    assert _codes(members.member_list(actor=manager, filters=everyone)) == [ours.code]
    fuzzy = members.MemberFilters(query="lsg")
    assert _codes(members.member_list(actor=manager, filters=fuzzy)) == []
    assert _codes(members.member_list(actor=manager, filters=members.MemberFilters("1111"))) == []
    exact = members.MemberFilters(query="13900001111")
    assert _codes(members.member_list(actor=manager, filters=exact)) == [theirs.code]
    assert _codes(members.member_list(actor=manager, filters=exact, exact_elsewhere=False)) == []
    with pytest.raises(PermissionDenied):
        members.member_list(actor=manager, filters=members.MemberFilters(store_id=stores[1].pk))
    one = members.MemberFilters(store_id=stores[1].pk)
    assert _codes(members.member_list(actor=actors[Role.HQ_ADMIN], filters=one)) == [theirs.code]


@pytest.mark.parametrize(
    "query",
    ["13900001111", "member_code", "330106199711190746"],
    ids=["mobile", "member-number", "id-number"],
)
def test_another_stores_member_is_found_by_an_exact_key_masked(actors, owner, chain, query):
    theirs = chain["S02"][0]
    member_update(actor=owner, member_id=theirs.pk, changes={"id_number": "330106199711190746"})
    if query == "member_code":
        query = theirs.code
    found = members.member_lookup(actor=actors[Role.CASHIER], query=query)
    assert [(m.code, m.name, m.email, m.mobile_masked) for m in found] == [
        (theirs.code, "李*光", "", "139****1111")
    ]
    assert found[0].scope_masked is True


@pytest.mark.parametrize("query", ["李四", "lsg", "1111"], ids=["name", "initials", "last4"])
def test_fuzzy_look_ups_stay_in_the_viewers_stores(actors, chain, query):
    assert members.member_lookup(actor=actors[Role.CASHIER], query=query) == []
    found = members.member_lookup(actor=actors[Role.OWNER], query=query)
    assert [(m.code, m.name) for m in found] == [(chain["S02"][0].code, "李四光")]


def test_own_members_are_not_masked(actors, chain):
    found = members.member_lookup(actor=actors[Role.CASHIER], query="wxm")
    assert [(m.name, m.email, m.scope_masked) for m in found] == [
        ("王小明", "m@example.com", False)
    ]


def test_member_page_of_another_store_is_masked_and_its_history_is_ours(actors, chain):
    theirs = chain["S02"][0]
    cashier = actors[Role.CASHIER]
    shown = members.member_get(actor=cashier, member_id=theirs.pk)
    assert shown is not None
    assert (shown.name, shown.email, shown.birthday, shown.custom_fields) == ("李*光", "", None, {})
    assert members.member_history(actor=cashier, member=shown) == []
    full = members.member_get(actor=actors[Role.OWNER], member_id=theirs.pk)
    assert full is not None and full.name == "李四光"
    history = members.member_history(actor=actors[Role.OWNER], member=full)
    assert {e.action for e in history} == {
        "member.registered",
        "card.issued",
        "wallet.recharged",
        "points.adjusted",
    }


def test_another_stores_members_sales_show_only_ours(actors, staff, stores, chain):
    theirs, card = chain["S02"]
    at_s02 = staff[Role.OWNER].as_actor(store_id=stores[1].pk)
    for actor in (at_s02, actors[Role.CASHIER]):
        sale_quick(
            actor=actor,
            data=QuickSaleInput(amount_fen=1000, card_id=card.pk, balance_fen=1000),
            idempotency_key=key(),
        )
    assert [s.store.code for s in member_sales(actor=actors[Role.CASHIER], member=theirs)] == [
        "S01"
    ]
    assert sorted(s.store.code for s in member_sales(actor=actors[Role.OWNER], member=theirs)) == [
        "S01",
        "S02",
    ]


def test_dashboard_counts_the_viewers_stores(actors, stores, chain):
    assert members.member_stats(actor=actors[Role.OWNER]).total == 2
    assert members.member_stats(actor=actors[Role.CASHIER]).total == 1
    stats = members.member_stats(actor=actors[Role.OWNER], store_id=stores[1].pk)
    assert (stats.total, [r["home_store__name"] for r in stats.by_store]) == (1, ["东城店"])
    with pytest.raises(PermissionDenied):
        members.member_stats(actor=actors[Role.CASHIER], store_id=stores[1].pk)


def test_mask_name():
    assert [members.mask_name(n) for n in ("张", "李四", "张三丰", "欧阳娜娜", "")] == [
        "*",
        "李*",
        "张*丰",
        "欧**娜",
        "*",
    ]
