"""The demo loader: realistic, valid, deterministic and idempotent."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.core import china
from huiyuan.core.permissions import Role
from huiyuan.demo import loader, people
from huiyuan.members.models import CustomField, Member, Tag
from huiyuan.selfservice.services import signin_password
from huiyuan.stores.models import ApiKey, Staff, Store, Terminal

NOW = timezone.make_aware(dt.datetime(2026, 3, 15, 11, 30))


def counts() -> dict[str, int]:
    return {
        "stores": Store.objects.count(),
        "terminals": Terminal.objects.count(),
        "staff": Staff.objects.count(),
        "tags": Tag.objects.count(),
        "custom_fields": CustomField.objects.count(),
        "members": Member.objects.count(),
        "member_tags": Member.tags.through.objects.count(),
        "api_keys": ApiKey.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def members_snapshot() -> list[tuple[object, ...]]:
    return list(
        Member.objects.order_by("pk").values_list(
            "code", "name", "mobile_hash", "status", "joined_at", "last_activity_at", "referrer_id"
        )
    )


@pytest.mark.django_db
@pytest.mark.parametrize("count", [40, 150])
def test_loading_twice_changes_nothing(count):
    first = loader.load_demo(members=count, now=NOW, cardholders=0)
    assert first.members_created == count
    assert first.api_key is not None and first.api_key.startswith("hy_")
    after_first, snapshot = counts(), members_snapshot()
    assert after_first["members"] == count

    second = loader.load_demo(members=count, now=NOW, cardholders=0)
    assert second.members_created == 0
    assert second.api_key is None  # shown only when created
    assert counts() == after_first
    assert members_snapshot() == snapshot


@pytest.mark.django_db
def test_an_interrupted_load_is_completed():
    plans = loader.plan_members(60, now=NOW)
    org = loader.load_org()
    loader.load_member_settings(org)
    assert loader.load_members(org, plans[:25]) == 25
    result = loader.load_demo(members=60, now=NOW, cardholders=0)
    assert result.members_created == 35
    assert Member.objects.count() == 60


@pytest.mark.django_db
def test_every_role_and_store_is_staffed_with_a_working_demo_password():
    loader.load_demo(members=10, now=NOW, cardholders=0)
    validate_password(loader.DEMO_PASSWORD)
    assert {s.role for s in Staff.objects.all()} == {r.value for r in Role}
    for store in Store.objects.all():
        roles = {s.role for s in store.staff.all()}
        assert {Role.STORE_MANAGER, Role.CASHIER} <= roles, store.name
        assert store.terminals.count() == 1
        assert store.address.startswith("浙江省杭州市")
    for staff in Staff.objects.all():
        assert staff.check_password(loader.DEMO_PASSWORD)
        assert all("\u4e00" <= ch <= "\u9fff" for ch in staff.display_name)
    assert ApiKey.objects.get().terminal.store.code == loader.STORES[0].code
    assert AuditEvent.objects.filter(action="staff.created").count() == len(loader.STAFF)


@pytest.mark.django_db
def test_members_are_valid_and_realistic():
    count = 300
    loader.load_demo(members=count, now=NOW, cardholders=0)
    members = list(Member.objects.prefetch_related("tags"))
    assert len(members) == count
    mobiles = [m.mobile for m in members]
    assert len(set(mobiles)) == count
    for mobile in mobiles:
        assert china.normalize_mobile(mobile) == mobile
        assert mobile[:3] in people.MOBILE_PREFIXES
    assert len({m.code for m in members}) == count

    with_id = [m for m in members if m.id_number_enc]
    assert len(with_id) > count * 0.15
    for m in with_id:
        number = m.id_number
        assert china.normalize_id_number(number) == number  # format, date and checksum
        assert number[6:14] == m.birthday.strftime("%Y%m%d")
        assert int(number[16]) % 2 == (1 if m.gender == "M" else 0)
        assert number[:6] in {code for _, code, _ in people.REGIONS}

    for m in members:
        assert 2 <= len(m.name) <= 3
        assert m.name_initials and m.name_pinyin
        assert m.gender in ("M", "F")
        assert NOW - dt.timedelta(days=loader.HISTORY_DAYS + 1) <= m.joined_at <= NOW
        assert m.joined_at <= m.last_activity_at <= NOW
        if m.referrer_id:
            assert m.referrer.joined_at <= m.joined_at

    lunar = [m for m in members if m.birthday_calendar == Member.Calendar.LUNAR]
    assert 0.1 * count < len(lunar) < 0.3 * count
    for m in lunar:
        _, month, day, leap = china.solar_to_lunar(m.birthday)
        assert (month, day, leap) == (m.lunar_birth_month, m.lunar_birth_day, False)

    assert {m.channel for m in members} == {"store", "call_center", "self", "import"}
    assert sum(1 for m in members if m.referrer_id) > 0
    assert sum(1 for m in members if m.custom_fields) > count / 2
    assert sum(1 for m in members if m.tags.all()) > count / 3
    # Growth: more members joined in the last six months than in the six before.
    recent = sum(1 for m in members if m.joined_at > NOW - dt.timedelta(days=183))
    earlier = sum(
        1
        for m in members
        if NOW - dt.timedelta(days=366) < m.joined_at <= NOW - dt.timedelta(days=183)
    )
    assert recent > earlier
    assert AuditEvent.objects.filter(action="member.registered").count() == count


def test_plans_are_deterministic():
    first = loader.plan_members(80, now=NOW)
    again = loader.plan_members(80, now=NOW)
    other = loader.plan_members(80, seed=1, now=NOW)
    assert [(p.data, p.joined_at, p.referrer) for p in first] == [
        (p.data, p.joined_at, p.referrer) for p in again
    ]
    assert [p.data.mobile for p in first] != [p.data.mobile for p in other]


@pytest.mark.django_db
def test_command_prints_logins_and_key_once():
    out = io.StringIO()
    call_command("demo", "--members", "15", "--port", "8123", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8123/" in text
    for spec in loader.STAFF:
        assert spec.username in text
    assert loader.DEMO_PASSWORD in text
    assert "hy_" in text
    assert "/m/ — " in text and loader.DEMO_PORTAL_PASSWORD in text
    # The printed portal sign-in works.
    mobile = text.split("signs in with mobile ", 1)[1].split(" ", 1)[0]
    member = signin_password(mobile=mobile, password=loader.DEMO_PORTAL_PASSWORD)
    assert member.mobile_masked.endswith(mobile[-4:])

    out = io.StringIO()
    call_command("demo", "--members", "15", stdout=out)
    assert "unchanged" in out.getvalue()
    assert "hy_" not in out.getvalue()
