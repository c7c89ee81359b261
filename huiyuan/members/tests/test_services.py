"""Member services: exact values, and every refusal leaves the archive unchanged."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.audit.models import AuditEvent
from huiyuan.core import pii
from huiyuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Role
from huiyuan.members import selectors, services
from huiyuan.members.models import Member, Tag
from huiyuan.members.services import LunarDate, MemberInput


def register(actor, name="张三丰", mobile="13812345678", **extra):
    return services.member_register(
        actor=actor, data=MemberInput(name=name, mobile=mobile, **extra), channel="store"
    )


def snapshot():
    return (
        list(Member.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


def test_register_stores_encrypted_fields_and_audits(cashier, stores):
    member = register(
        cashier,
        id_number="11010519491231002X",
        address="北京市朝阳区建国路1号",
        birthday=dt.date(1949, 12, 31),
        gender="M",
    )
    member.refresh_from_db()
    assert member.name_initials == "zsf"
    assert member.name_pinyin == "zhangsanfeng"
    assert member.mobile == "13812345678"
    assert "13812345678" not in member.mobile_enc
    assert member.mobile_masked == "138****5678"
    assert member.id_number == "11010519491231002X"
    assert member.id_number_masked == "110***********002X"
    assert member.address == "北京市朝阳区建国路1号"
    assert "朝阳" not in member.address_enc
    assert member.home_store == stores[0]
    assert member.registered_by == cashier.staff
    assert member.channel == "store"
    event = AuditEvent.objects.get(action="member.registered")
    assert event.member_id == member.pk
    assert event.after["mobile"] == "138****5678"
    assert "13812345678" not in str(event.after)
    assert "11010519491231002X" not in str(event.after)


def test_lunar_birthday_is_converted(cashier):
    member = register(cashier, lunar_birthday=LunarDate(1990, 8, 15))
    assert member.birthday == dt.date(1990, 10, 3)
    assert member.birthday_calendar == "lunar"
    assert (member.lunar_birth_month, member.lunar_birth_day) == (8, 15)


@pytest.mark.parametrize(
    "extra,code",
    [
        ({"mobile": "12345"}, "invalid_mobile"),
        ({"id_number": "110105194912310021"}, "invalid_id_checksum"),
        ({"name": "  "}, "name_required"),
        ({"birthday": dt.date(2999, 1, 1)}, "invalid_birthday"),
        ({"lunar_birthday": LunarDate(2024, 2, 1, leap=True)}, "invalid_lunar_date"),
        ({"tags": ["不存在"]}, "unknown_tag"),
        ({"custom_fields": {"nope": "1"}}, "unknown_custom_field"),
        ({"gender": "X"}, "invalid_gender"),
        ({"consent": False}, "consent_required"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(cashier, extra, code):
    before = snapshot()
    kwargs = {"name": "李四", "mobile": "13900000000", **extra}
    with pytest.raises(ValidationFailed) as err:
        services.member_register(actor=cashier, data=MemberInput(**kwargs), channel="store")
    assert err.value.code == code
    assert snapshot() == before


def test_duplicate_mobile_is_refused(cashier):
    register(cashier)
    before = snapshot()
    with pytest.raises(Conflict) as err:
        register(cashier, name="王五", mobile="138 1234 5678")
    assert err.value.code == "duplicate_mobile"
    assert snapshot() == before


def test_unknown_store_and_foreign_store_are_refused(cashier, stores):
    before = snapshot()
    with pytest.raises(NotFound) as err:
        services.member_register(
            actor=cashier,
            data=MemberInput(name="李四", mobile="13900000000"),
            channel="store",
            store_id=999999,
        )
    assert err.value.code == "unknown_store"
    with pytest.raises(PermissionDenied) as err2:
        services.member_register(
            actor=cashier,
            data=MemberInput(name="李四", mobile="13900000000"),
            channel="store",
            store_id=stores[1].pk,
        )
    assert err2.value.code == "store_forbidden"
    assert snapshot() == before


def test_marketer_cannot_register(actors):
    with pytest.raises(PermissionDenied):
        register(actors[Role.MARKETER])
    assert Member.objects.count() == 0


def test_call_center_registers_for_any_store(actors, stores):
    member = services.member_register(
        actor=actors[Role.CALL_CENTER],
        data=MemberInput(name="赵六", mobile="13700000001"),
        channel="call_center",
        store_id=stores[1].pk,
    )
    assert member.channel == "call_center"
    assert member.home_store == stores[1]


def test_custom_fields_and_tags(owner, cashier):
    services.custom_field_create(
        actor=owner, key="plate", label="车牌号", kind="text", required=False
    )
    services.custom_field_create(
        actor=owner, key="skin", label="肤质", kind="choice", choices=["干性", "油性"]
    )
    services.custom_field_create(actor=owner, key="pets", label="宠物数", kind="number")
    services.tag_create(actor=owner, name="VIP")
    member = register(
        cashier, custom_fields={"plate": "京A12345", "skin": "油性", "pets": "2"}, tags=["VIP"]
    )
    assert member.custom_fields == {"plate": "京A12345", "skin": "油性", "pets": 2}
    assert [t.name for t in member.tags.all()] == ["VIP"]
    with pytest.raises(ValidationFailed) as err:
        services.member_update(
            actor=cashier, member_id=member.pk, changes={"custom_fields": {"skin": "中性"}}
        )
    assert err.value.code == "invalid_custom_field"
    member.refresh_from_db()
    assert member.custom_fields["skin"] == "油性"
    with pytest.raises(PermissionDenied):
        services.tag_create(actor=cashier, name="新标签")
    assert not Tag.objects.filter(name="新标签").exists()


def test_update_records_history(cashier):
    member = register(cashier)
    services.member_update(
        actor=cashier, member_id=member.pk, changes={"name": "张三", "occupation": "教师"}
    )
    member.refresh_from_db()
    assert member.name == "张三"
    assert member.name_initials == "zs"
    event = AuditEvent.objects.get(action="member.updated")
    assert event.before == {"name": "张三丰", "occupation": ""}
    assert event.after == {"name": "张三", "occupation": "教师"}
    history = selectors.member_history(actor=cashier, member=member)
    assert [e.action for e in history] == ["member.updated", "member.registered"]


def test_update_to_taken_mobile_changes_nothing(cashier):
    a = register(cashier)
    register(cashier, name="李四", mobile="13900000000")
    before = snapshot()
    with pytest.raises(Conflict):
        services.member_update(
            actor=cashier, member_id=a.pk, changes={"mobile": "13900000000", "name": "改名"}
        )
    assert snapshot() == before


def test_freeze_blocks_separately_and_unfreeze(actors, cashier):
    manager = actors[Role.STORE_MANAGER]
    member = register(cashier)
    with pytest.raises(PermissionDenied):
        services.member_freeze(
            actor=cashier, member_id=member.pk, earning=True, spending=False, reason="x"
        )
    services.member_freeze(
        actor=manager, member_id=member.pk, earning=False, spending=True, reason="可疑交易"
    )
    member.refresh_from_db()
    assert (member.earn_frozen, member.spend_frozen) == (False, True)
    assert member.freeze_reason == "可疑交易"
    with pytest.raises(Conflict):
        services.member_freeze(
            actor=manager, member_id=member.pk, earning=False, spending=True, reason="again"
        )
    services.member_unfreeze(
        actor=manager, member_id=member.pk, earning=False, spending=True, reason="已核实"
    )
    member.refresh_from_db()
    assert not member.is_frozen
    assert [e.action for e in AuditEvent.objects.filter(member_id=member.pk).order_by("id")] == [
        "member.registered",
        "member.frozen",
        "member.unfrozen",
    ]


def test_freeze_requires_reason_and_scope(actors, stores, owner):
    manager = actors[Role.STORE_MANAGER]
    other = services.member_register(
        actor=owner,
        data=MemberInput(name="孙七", mobile="13600000000"),
        channel="store",
        store_id=stores[1].pk,
    )
    before = snapshot()
    with pytest.raises(ValidationFailed):
        services.member_freeze(
            actor=manager, member_id=other.pk, earning=True, spending=True, reason=""
        )
    with pytest.raises(PermissionDenied) as err:
        services.member_freeze(
            actor=manager, member_id=other.pk, earning=True, spending=True, reason="越权"
        )
    assert err.value.code == "store_forbidden"
    assert snapshot() == before


def test_cancel_restore_terminate(owner, cashier):
    member = register(cashier)
    services.member_cancel(actor=owner, member_id=member.pk, reason="本人申请")
    assert Member.objects.get(pk=member.pk).status == "cancelled"
    services.member_restore(actor=owner, member_id=member.pk, reason="撤销注销")
    assert Member.objects.get(pk=member.pk).status == "active"
    services.member_terminate(actor=owner, member_id=member.pk, reason="长期未活跃")
    assert Member.objects.get(pk=member.pk).status == "terminated"
    with pytest.raises(Conflict):
        services.member_restore(actor=owner, member_id=member.pk, reason="x")
    with pytest.raises(Conflict):
        services.member_update(actor=owner, member_id=member.pk, changes={"name": "x"})


def test_terminate_inactive(owner, cashier):
    old = register(cashier)
    fresh = register(cashier, name="李四", mobile="13900000000")
    Member.objects.filter(pk=old.pk).update(last_activity_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert services.members_terminate_inactive(actor=owner, inactive_days=365) == 1
    assert Member.objects.get(pk=old.pk).status == "terminated"
    assert Member.objects.get(pk=fresh.pk).status == "active"


def test_merge_moves_history_tags_and_frees_mobile(owner, cashier):
    services.tag_create(actor=owner, name="老客")
    survivor = register(cashier)
    duplicate = register(
        cashier, name="张三丰", mobile="13900000000", tags=["老客"], occupation="工程师"
    )
    services.member_update(actor=cashier, member_id=duplicate.pk, changes={"region": "上海"})
    services.member_merge(
        actor=owner, survivor_id=survivor.pk, duplicate_id=duplicate.pk, reason="重复建档"
    )
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate.status == "merged"
    assert duplicate.merged_into == survivor
    assert duplicate.mobile_hash is None
    assert survivor.occupation == "工程师"
    assert survivor.region == "上海"
    assert [t.name for t in survivor.tags.all()] == ["老客"]
    actions = [e.action for e in selectors.member_history(actor=owner, member=survivor)]
    assert "member.merged" in actions and "member.merged_away" in actions
    assert actions.count("member.registered") == 2
    # The duplicate's mobile is free again.
    register(cashier, name="新人", mobile="13900000000")
    with pytest.raises(Conflict):
        services.member_merge(
            actor=owner, survivor_id=survivor.pk, duplicate_id=duplicate.pk, reason="x"
        )


def test_search_by_every_key(cashier):
    a = register(cashier, id_number="11010519491231002X")
    register(cashier, name="李四", mobile="13900001111")
    find = lambda q: [m.pk for m in selectors.member_lookup(actor=cashier, query=q)]  # noqa: E731
    assert find("13812345678") == [a.pk]
    assert find("5678") == [a.pk]
    assert find(a.code) == [a.pk]
    assert find("zsf") == [a.pk]
    assert find("ZS") == [a.pk]
    assert find("zhangsan") == [a.pk]
    assert find("张三") == [a.pk]
    assert find("11010519491231002x") == [a.pk]
    assert find("zz") == []
    assert find("") == []


def test_reveal_pii_is_audited_and_needs_permission(actors, cashier):
    member = register(cashier, id_number="11010519491231002X")
    with pytest.raises(PermissionDenied):
        services.member_reveal_pii(actor=cashier, member_id=member.pk)
    data = services.member_reveal_pii(actor=actors[Role.STORE_MANAGER], member_id=member.pk)
    assert data["mobile"] == "13812345678"
    assert AuditEvent.objects.filter(action="member.pii_viewed", member_id=member.pk).count() == 1


def test_stats_count_today_and_by_store(owner, cashier, actors, stores):
    register(cashier)
    services.member_register(
        actor=owner,
        data=MemberInput(name="李四", mobile="13900000000"),
        channel="store",
        store_id=stores[1].pk,
    )
    stats = selectors.member_stats(actor=owner)
    assert (stats.total, stats.today, stats.this_month) == (2, 2, 2)
    assert {row["home_store__name"]: row["total"] for row in stats.by_store} == {
        "旗舰店": 1,
        "东城店": 1,
    }
    scoped = selectors.member_stats(actor=actors[Role.STORE_MANAGER])
    assert scoped.total == 1
    assert pii.keyed_hash("13812345678") == Member.objects.get(name="张三丰").mobile_hash
