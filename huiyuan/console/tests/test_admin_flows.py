"""Back-office create flows through the pages: what is written, and what is refused."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.urls import reverse

from huiyuan.audit.models import AuditEvent
from huiyuan.core.permissions import Role
from huiyuan.members.models import CustomField, Tag
from huiyuan.members.services import MemberInput, member_freeze, member_register
from huiyuan.stores import services
from huiyuan.stores.models import ApiKey, Staff, Store, Terminal

pytestmark = pytest.mark.django_db

KEY_RE = re.compile(r"hy_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}")


@pytest.fixture
def as_owner(client, staff):
    client.force_login(staff[Role.OWNER])
    return client


@pytest.fixture
def as_manager(client, staff):
    client.force_login(staff[Role.STORE_MANAGER])
    return client


# ------------------------------------------------------------------------ stores


def test_owner_creates_a_store(as_owner, stores):
    response = as_owner.post(
        reverse("console:stores"),
        {"code": "S03", "name": "西城店", "address": "西城区1号", "phone": "010-1234"},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("console:stores"), 302)]
    store = Store.objects.get(code="S03")
    assert (store.name, store.address, store.phone) == ("西城店", "西城区1号", "010-1234")
    assert AuditEvent.objects.filter(action="store.created", subject_id=str(store.pk)).count() == 1
    assert "西城店" in response.content.decode()


def test_duplicate_store_code_is_a_form_error_in_chinese(as_owner, stores):
    before = Store.objects.count()
    response = as_owner.post(reverse("console:stores"), {"code": "S01", "name": "重复"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"code": ["该门店编码已存在。"]}
    assert Store.objects.count() == before


def test_store_list_shows_member_counts(as_owner, owner, stores):
    member_register(
        actor=owner,
        data=MemberInput(name="李四", mobile="13900000001"),
        channel="store",
        store_id=stores[1].pk,
    )
    response = as_owner.get(reverse("console:stores"))
    counts = {s.code: s.member_count for s in response.context["stores"]}
    assert counts == {"S01": 0, "S02": 1}


def test_manager_adds_a_terminal_to_their_store(as_manager, stores):
    url = reverse("console:store_detail", args=[stores[0].pk])
    response = as_manager.post(url, {"code": "POS-09", "name": "9号台"})
    assert response.status_code == 302
    terminal = Terminal.objects.get(code="POS-09")
    assert terminal.store == stores[0]
    page = as_manager.get(url).content.decode()
    assert "9号台" in page


# ------------------------------------------------------------------------- staff


def test_owner_creates_a_cashier_with_stores(as_owner, stores):
    response = as_owner.post(
        reverse("console:staff"),
        {
            "username": "xiaowang",
            "display_name": "小王",
            "mobile": "13700000000",
            "role": "cashier",
            "stores": [str(stores[1].pk)],
            "password": "Shou-yin-2026",
        },
    )
    assert response.status_code == 302
    created = Staff.objects.get(username="xiaowang")
    assert (created.role, created.display_name) == ("cashier", "小王")
    assert list(created.stores.all()) == [stores[1]]
    assert created.check_password("Shou-yin-2026")


def test_cashier_without_store_is_refused_with_the_services_message(as_owner, stores):
    before = Staff.objects.count()
    response = as_owner.post(
        reverse("console:staff"),
        {"username": "x", "display_name": "x", "role": "cashier", "password": "Shou-yin-2026"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"stores": ["店长或收银员至少需要一个门店。"]}
    assert Staff.objects.count() == before


def test_hq_admin_is_not_offered_the_owner_role(client, staff):
    client.force_login(staff[Role.HQ_ADMIN])
    form = client.get(reverse("console:staff")).context["form"]
    assert "owner" not in [value for value, _ in form.fields["role"].choices]
    assert [str(label) for value, label in form.fields["role"].choices][:1] == ["总部管理员"]


def test_disable_and_enable_staff(as_owner, staff):
    cashier = staff[Role.CASHIER]
    url = reverse("console:staff_set_active", args=[cashier.pk])
    assert as_owner.post(url, {"active": "0"}).status_code == 302
    cashier.refresh_from_db()
    assert cashier.is_active is False
    as_owner.post(url, {"active": "1"})
    cashier.refresh_from_db()
    assert cashier.is_active is True
    actions = list(
        AuditEvent.objects.filter(subject_type="staff", subject_id=str(cashier.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["staff.disabled", "staff.enabled"]


def test_disabling_yourself_is_refused(as_owner, staff):
    owner = staff[Role.OWNER]
    response = as_owner.post(
        reverse("console:staff_set_active", args=[owner.pk]), {"active": "0"}, follow=True
    )
    owner.refresh_from_db()
    assert owner.is_active is True
    assert "不能停用自己" in response.content.decode()


# ---------------------------------------------------------------------- API keys


def test_api_key_is_shown_once_and_only_its_hash_is_stored(as_manager, terminal):
    response = as_manager.post(
        reverse("console:api_keys"),
        {"terminal": str(terminal.pk), "name": "美团收银", "role": "cashier"},
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    shown = KEY_RE.findall(page)
    assert len(set(shown)) == 1
    key = shown[0]
    row = ApiKey.objects.get()
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(list(ApiKey.objects.values()))
    assert (row.terminal, row.role, row.name) == (terminal, "cashier", "美团收银")
    assert services.api_key_authenticate(key) == row
    again = as_manager.get(reverse("console:api_keys")).content.decode()
    assert key not in again
    assert KEY_RE.findall(again) == []
    assert f"hy_{row.prefix}_" in again


def test_api_key_cannot_carry_a_head_office_role(as_owner, terminal):
    response = as_owner.post(
        reverse("console:api_keys"), {"terminal": str(terminal.pk), "role": "owner"}
    )
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    assert ApiKey.objects.count() == 0


def test_manager_cannot_create_a_key_for_another_stores_terminal(as_manager, stores, owner):
    other = services.terminal_create(actor=owner, store_id=stores[1].pk, code="B1", name="外店")
    response = as_manager.post(
        reverse("console:api_keys"), {"terminal": str(other.pk), "role": "cashier"}
    )
    assert response.status_code == 200
    assert "terminal" in response.context["form"].errors
    assert ApiKey.objects.count() == 0


def test_revoked_key_no_longer_authenticates(as_manager, terminal, owner):
    row, key = services.api_key_create(actor=owner, terminal_id=terminal.pk, name="k")
    assert services.api_key_authenticate(key) == row
    response = as_manager.post(reverse("console:api_key_revoke", args=[row.pk]), follow=True)
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert services.api_key_authenticate(key) is None
    assert AuditEvent.objects.filter(action="api_key.revoked", subject_id=str(row.pk)).exists()
    assert "已撤销" in response.content.decode()


def test_manager_cannot_revoke_another_stores_key(as_manager, stores, owner):
    other = services.terminal_create(actor=owner, store_id=stores[1].pk, code="B1", name="外店")
    row, key = services.api_key_create(actor=owner, terminal_id=other.pk, name="k")
    events = AuditEvent.objects.count()
    as_manager.post(reverse("console:api_key_revoke", args=[row.pk]))
    row.refresh_from_db()
    assert row.revoked_at is None
    assert services.api_key_authenticate(key) == row
    assert AuditEvent.objects.count() == events


def test_manager_lists_only_keys_of_their_stores(as_manager, stores, owner):
    mine = services.terminal_create(actor=owner, store_id=stores[0].pk, code="A1", name="本店")
    other = services.terminal_create(actor=owner, store_id=stores[1].pk, code="B1", name="外店")
    k1, _ = services.api_key_create(actor=owner, terminal_id=mine.pk, name="本店钥匙")
    services.api_key_create(actor=owner, terminal_id=other.pk, name="外店钥匙")
    response = as_manager.get(reverse("console:api_keys"))
    assert [k.pk for k in response.context["page"].object_list] == [k1.pk]
    assert [t.pk for t in response.context["terminals"]] == [mine.pk]


# ------------------------------------------------------------ tags, custom fields


def test_tag_create_and_duplicate(as_owner, stores):
    assert (
        as_owner.post(reverse("console:tags"), {"name": "VIP", "color": "red"}).status_code == 302
    )
    assert list(Tag.objects.values_list("name", "color")) == [("VIP", "red")]
    response = as_owner.post(reverse("console:tags"), {"name": "VIP", "color": "blue"})
    assert response.context["form"].errors == {"name": ["该标签已存在。"]}
    assert Tag.objects.count() == 1


def test_custom_field_create_with_choices_and_hide(as_owner, stores):
    response = as_owner.post(
        reverse("console:custom_fields"),
        {
            "label": "肤质",
            "key": "skin",
            "kind": "choice",
            "choices": "干性\n油性，混合",
            "required": "on",
        },
    )
    assert response.status_code == 302
    field = CustomField.objects.get()
    assert (field.key, field.label, field.kind, field.choices, field.required) == (
        "skin",
        "肤质",
        "choice",
        ["干性", "油性", "混合"],
        True,
    )
    as_owner.post(reverse("console:custom_field_set_active", args=[field.pk]), {"active": "0"})
    field.refresh_from_db()
    assert field.is_active is False
    assert AuditEvent.objects.filter(action="custom_field.disabled").count() == 1


def test_custom_field_bad_key_is_a_field_error(as_owner, stores):
    response = as_owner.post(
        reverse("console:custom_fields"), {"label": "车牌", "key": "Plate No", "kind": "text"}
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["key"]
    assert CustomField.objects.count() == 0


# -------------------------------------------------------------------- audit page


def test_audit_page_renders_chinese_by_default(as_owner, owner, stores):
    services.store_create(actor=owner, code="S09", name="南城店")
    page = as_owner.get(reverse("console:audit")).content.decode()
    assert "审计日志" in page
    assert "新建门店" in page
    assert "南城店" in page


def test_audit_page_filters_by_member_number(as_manager, actors, stores):
    manager = actors[Role.STORE_MANAGER]
    one = member_register(
        actor=manager, data=MemberInput(name="王五", mobile="13600000001"), channel="store"
    )
    two = member_register(
        actor=manager, data=MemberInput(name="赵六", mobile="13600000002"), channel="store"
    )
    member_freeze(actor=manager, member_id=two.pk, earning=True, spending=False, reason="核查")
    response = as_manager.get(reverse("console:audit"), {"member": two.code})
    events = [row["event"] for row in response.context["rows"]]
    assert [e.action for e in events] == ["member.frozen", "member.registered"]
    assert {e.member_id for e in events} == {two.pk}
    by_id = as_manager.get(reverse("console:audit"), {"member": str(one.pk)})
    assert [row["event"].member_id for row in by_id.context["rows"]] == [one.pk]
    page = response.content.decode()
    assert "冻结会员" in page
    assert "核查" in page


def test_audit_page_for_a_manager_hides_other_stores(as_manager, owner, stores):
    services.terminal_create(actor=owner, store_id=stores[1].pk, code="B1", name="外店台")
    services.terminal_create(actor=owner, store_id=stores[0].pk, code="A1", name="本店台")
    response = as_manager.get(reverse("console:audit"))
    assert [row["event"].after["code"] for row in response.context["rows"]] == ["A1"]


def test_audit_page_paginates(as_owner, owner, stores):
    for i in range(55):
        services.terminal_create(actor=owner, store_id=stores[0].pk, code=f"T{i:02d}", name="台")
    first = as_owner.get(reverse("console:audit"))
    assert len(first.context["rows"]) == 25  # 25 a page: the page stays short
    last = as_owner.get(reverse("console:audit"), {"page": "3"})
    assert len(last.context["rows"]) == 5
    assert last.context["rows"][-1]["event"].after["code"] == "T00"


def test_audit_page_rejects_reversed_dates(as_owner, stores):
    response = as_owner.get(
        reverse("console:audit"), {"date_from": "2026-03-02", "date_to": "2026-03-01"}
    )
    assert response.status_code == 200
    assert "date_to" in response.context["form"].errors


def test_audit_page_query_count_does_not_grow_with_rows(as_owner, owner, stores):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.terminal_create(actor=owner, store_id=stores[0].pk, code="Q0", name="台")
    with CaptureQueriesContext(connection) as few:
        as_owner.get(reverse("console:audit"))
    for i in range(1, 30):
        services.terminal_create(actor=owner, store_id=stores[i % 2].pk, code=f"Q{i}", name="台")
    with CaptureQueriesContext(connection) as many:
        response = as_owner.get(reverse("console:audit"))
    assert len(response.context["rows"]) == 25
    assert len(many.captured_queries) == len(few.captured_queries)


def test_audit_page_in_english(as_owner, owner, stores):
    services.store_create(actor=owner, code="S09", name="南城店")
    as_owner.cookies["django_language"] = "en"
    page = as_owner.get(reverse("console:audit")).content.decode()
    assert "Audit log" in page
    assert "Store created" in page
