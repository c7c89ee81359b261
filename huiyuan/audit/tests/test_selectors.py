"""The audit log's list: filters, store scoping and readable labels."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.audit.selectors import (
    AuditFilters,
    action_choices,
    action_label,
    audit_diff,
    audit_event_list,
    subject_label,
)
from huiyuan.audit.services import audit_record
from huiyuan.core.errors import PermissionDenied
from huiyuan.core.permissions import Role

pytestmark = pytest.mark.django_db


def record(actor, action, *, store_id=None, member_id=None, when=None, **extra):
    with transaction.atomic():
        event = audit_record(
            actor=actor,
            action=action,
            subject_type="member" if member_id else "store",
            subject_id=member_id or 1,
            member_id=member_id,
            store_id=store_id,
            **extra,
        )
    if when is not None:
        AuditEvent.objects.filter(pk=event.pk).update(created_at=when)
    return event


@pytest.fixture
def events(actors, stores):
    """Four events: two at store 1, one at store 2, one chain-level (no store)."""
    owner, manager = actors[Role.OWNER], actors[Role.STORE_MANAGER]
    at = timezone.make_aware(dt.datetime(2026, 3, 1, 10, 0))
    return {
        "s1_member": record(manager, "member.frozen", store_id=stores[0].pk, member_id=7, when=at),
        "s1_store": record(
            owner, "store.created", store_id=stores[0].pk, when=at + dt.timedelta(days=1)
        ),
        "s2": record(
            owner,
            "member.registered",
            store_id=stores[1].pk,
            member_id=8,
            when=at + dt.timedelta(days=2),
        ),
        "chain": record(owner, "staff.created", when=at + dt.timedelta(days=3)),
    }


def ids(qs):
    return [e.pk for e in qs]


def test_chain_wide_actor_sees_every_event_newest_first(actors, events):
    result = audit_event_list(actor=actors[Role.OWNER], filters=AuditFilters())
    assert ids(result) == [
        events["chain"].pk,
        events["s2"].pk,
        events["s1_store"].pk,
        events["s1_member"].pk,
    ]


def test_store_manager_sees_only_events_of_their_stores(actors, events):
    result = audit_event_list(actor=actors[Role.STORE_MANAGER], filters=AuditFilters())
    assert ids(result) == [events["s1_store"].pk, events["s1_member"].pk]


def test_store_manager_filtering_another_store_gets_nothing(actors, stores, events):
    result = audit_event_list(
        actor=actors[Role.STORE_MANAGER], filters=AuditFilters(store_id=stores[1].pk)
    )
    assert ids(result) == []


@pytest.mark.parametrize("role", [Role.CASHIER, Role.CALL_CENTER, Role.MARKETER])
def test_roles_without_audit_view_are_refused(actors, events, role):
    with pytest.raises(PermissionDenied):
        audit_event_list(actor=actors[role], filters=AuditFilters())


def test_filters_combine(actors, stores, staff, events):
    owner = actors[Role.OWNER]

    def run(**kw):
        return ids(audit_event_list(actor=owner, filters=AuditFilters(**kw)))

    assert run(member_ids=(7,)) == [events["s1_member"].pk]
    assert run(member_ids=(7, 8)) == [events["s2"].pk, events["s1_member"].pk]
    assert run(member_ids=()) == []
    assert run(staff_id=staff[Role.STORE_MANAGER].pk) == [events["s1_member"].pk]
    assert run(store_id=stores[0].pk) == [events["s1_store"].pk, events["s1_member"].pk]
    assert run(action="member.registered") == [events["s2"].pk]
    assert run(date_from=dt.date(2026, 3, 2), date_to=dt.date(2026, 3, 3)) == [
        events["s2"].pk,
        events["s1_store"].pk,
    ]
    assert run(date_to=dt.date(2026, 3, 1)) == [events["s1_member"].pk]
    assert run(store_id=stores[0].pk, action="store.created") == [events["s1_store"].pk]


def test_date_bounds_use_the_local_day(actors, stores):
    """23:30 Shanghai time on 1 March is 15:30 UTC: it belongs to 1 March, not the 2nd."""
    late = timezone.make_aware(dt.datetime(2026, 3, 1, 23, 30))
    event = record(actors[Role.OWNER], "store.created", store_id=stores[0].pk, when=late)
    owner = actors[Role.OWNER]
    one_day = AuditFilters(date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 1))
    assert ids(audit_event_list(actor=owner, filters=one_day)) == [event.pk]
    next_day = AuditFilters(date_from=dt.date(2026, 3, 2))
    assert ids(audit_event_list(actor=owner, filters=next_day)) == []


def test_list_fetches_related_rows_in_one_query(actors, events, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = list(audit_event_list(actor=actors[Role.OWNER], filters=AuditFilters()))
        labels = [
            (e.actor.username if e.actor else "", e.store.name if e.store else "") for e in rows
        ]
    assert labels[0] == ("owner", "")
    assert labels[-1] == ("manager", "旗舰店")


def test_labels_are_readable_chinese(settings):
    from django.utils import translation

    with translation.override("zh-hans"):
        assert action_label("member.frozen") == "冻结会员"
        assert subject_label("api_key") == "API 密钥"
        assert ("store.created", "新建门店") in action_choices()
        assert action_label("unknown.thing") == "其他变更"
        assert action_label("store.renamed") == "门店变更"


def test_diff_rows_show_before_and_after(actors, stores):
    event = record(
        actors[Role.OWNER],
        "member.updated",
        store_id=stores[0].pk,
        member_id=3,
        before={"name": "张三", "tags": ["VIP"], "earn_frozen": False},
        after={"name": "张三丰", "tags": ["VIP", "宝妈"], "earn_frozen": True, "role": "cashier"},
    )
    from django.utils import translation

    with translation.override("en"):
        rows = [(r.label, r.before, r.after, r.changed) for r in audit_diff(event)]
    assert rows == [
        ("Name", "张三", "张三丰", True),
        ("Tags", "VIP", "VIP, 宝妈", True),
        ("Earning frozen", "no", "yes", True),
        ("Role", "", "Cashier", False),
    ]


def test_diff_names_values_and_stores_and_skips_empty_created_keys(actors, stores):
    event = record(
        actors[Role.OWNER],
        "member.registered",
        store_id=stores[0].pk,
        member_id=4,
        after={
            "name": "李四",
            "gender": "F",
            "status": "active",
            "email": "",
            "tags": [],
            "home_store_id": stores[1].pk,
            "custom_fields": {"plate": "浙A12345", "vip": True},
        },
    )
    from django.utils import translation

    with translation.override("zh-hans"):
        rows = [
            (r.key, r.before, r.after)
            for r in audit_diff(event, store_names={stores[1].pk: "东城店"})
        ]
    assert rows == [
        ("name", "", "李四"),
        ("gender", "", "女"),
        ("status", "", "正常"),
        ("home_store_id", "", "东城店"),
        ("custom_fields", "", "plate: 浙A12345; vip: 是"),
    ]


def test_a_managers_authorisation_reads_as_the_authoriser_in_chinese(actors, stores):
    """A cashier's refund or reversal authorised by a manager names them in words."""
    event = record(
        actors[Role.CASHIER],
        "wallet.refunded",
        store_id=stores[0].pk,
        member_id=5,
        after={"authorised_by": "manager"},
    )
    from django.utils import translation

    with translation.override("zh-hans"):
        rows = [(r.label, r.after) for r in audit_diff(event)]
    assert ("授权人", "manager") in rows
