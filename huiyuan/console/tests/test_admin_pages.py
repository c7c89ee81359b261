"""Back-office pages: who may open which page, and that refusals write nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from huiyuan.audit.models import AuditEvent
from huiyuan.core.permissions import Role
from huiyuan.members.models import CustomField, Tag
from huiyuan.stores import services
from huiyuan.stores.models import ApiKey, Staff, Store, Terminal

pytestmark = pytest.mark.django_db

PAGES = ["audit", "stores", "staff", "api_keys", "tags", "custom_fields"]

# Which roles may open which page (Perm.AUDIT_VIEW, STORE_VIEW, STAFF_MANAGE,
# APIKEY_MANAGE, MEMBER_CONFIGURE).
ALLOWED = {
    "audit": {Role.OWNER, Role.HQ_ADMIN, Role.STORE_MANAGER},
    "stores": {Role.OWNER, Role.HQ_ADMIN, Role.STORE_MANAGER, Role.MARKETER},
    "staff": {Role.OWNER, Role.HQ_ADMIN, Role.STORE_MANAGER},  # a manager: its store's staff
    "api_keys": {Role.OWNER, Role.HQ_ADMIN, Role.STORE_MANAGER},
    "tags": {Role.OWNER, Role.HQ_ADMIN},
    "custom_fields": {Role.OWNER, Role.HQ_ADMIN},
}


def snapshot():
    return (
        list(Store.objects.order_by("pk").values()),
        list(Terminal.objects.order_by("pk").values()),
        list(Staff.objects.order_by("pk").values("pk", "username", "is_active", "role")),
        list(ApiKey.objects.order_by("pk").values()),
        list(Tag.objects.order_by("pk").values()),
        list(CustomField.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", list(Role))
def test_role_page_matrix(client, staff, page, role):
    client.force_login(staff[role])
    response = client.get(reverse(f"console:{page}"))
    expected = 200 if role in ALLOWED[page] else 403
    assert response.status_code == expected


@pytest.mark.parametrize("page", PAGES)
def test_pages_need_a_login(client, stores, page):
    response = client.get(reverse(f"console:{page}"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("console:login"))


@pytest.mark.parametrize(
    ("role", "url_name", "data"),
    [
        (Role.MARKETER, "stores", {"code": "S09", "name": "新店"}),
        (Role.STORE_MANAGER, "stores", {"code": "S09", "name": "新店"}),
        (Role.CASHIER, "stores", {"code": "S09", "name": "新店"}),
        (Role.CASHIER, "staff", {"username": "x", "display_name": "x", "role": "cashier"}),
        (Role.MARKETER, "api_keys", {"terminal": "1", "role": "cashier"}),
        (Role.STORE_MANAGER, "tags", {"name": "VIP", "color": "blue"}),
        (Role.CALL_CENTER, "custom_fields", {"key": "plate", "label": "车牌", "kind": "text"}),
    ],
)
def test_refused_posts_write_nothing(client, staff, terminal, role, url_name, data):
    before = snapshot()
    client.force_login(staff[role])
    response = client.post(reverse(f"console:{url_name}"), data)
    assert response.status_code == 403
    assert snapshot() == before


def test_store_manager_cannot_open_another_stores_page(client, staff, stores):
    client.force_login(staff[Role.STORE_MANAGER])
    assert client.get(reverse("console:store_detail", args=[stores[0].pk])).status_code == 200
    assert client.get(reverse("console:store_detail", args=[stores[1].pk])).status_code == 404


def test_store_manager_cannot_add_a_terminal_elsewhere(client, staff, stores):
    before = snapshot()
    client.force_login(staff[Role.STORE_MANAGER])
    url = reverse("console:store_detail", args=[stores[1].pk])
    response = client.post(url, {"code": "X1", "name": "外店"})
    assert response.status_code == 404
    assert snapshot() == before


def test_marketer_sees_stores_but_cannot_add_terminals(client, staff, stores):
    before = snapshot()
    client.force_login(staff[Role.MARKETER])
    url = reverse("console:store_detail", args=[stores[0].pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="code"' not in page.content.decode()
    assert client.post(url, {"code": "X1", "name": "一号"}).status_code == 403
    assert snapshot() == before


def test_staff_toggle_and_revoke_need_post_and_permission(client, staff, terminal, owner):
    key, _ = services.api_key_create(actor=owner, terminal_id=terminal.pk, name="k")
    before = snapshot()
    client.force_login(staff[Role.CALL_CENTER])
    toggle = reverse("console:staff_set_active", args=[staff[Role.CASHIER].pk])
    assert client.post(toggle, {"active": "0"}).status_code == 403
    client.force_login(staff[Role.MARKETER])
    revoke = reverse("console:api_key_revoke", args=[key.pk])
    assert client.post(revoke).status_code == 403
    client.force_login(staff[Role.OWNER])
    assert client.get(toggle).status_code == 405
    assert client.get(revoke).status_code == 405
    assert snapshot() == before
