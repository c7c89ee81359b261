"""Login, logout, password change, store switching and the 403 page (lockout, address
delay and the second factor: test_signin.py, test_two_factor.py)."""

from __future__ import annotations

import pytest
from axes.models import AccessFailureLog
from django.test import Client

from conftest import PASSWORD
from huiyuan.audit.models import AuditEvent
from huiyuan.core.permissions import Role

pytestmark = pytest.mark.django_db


def test_pages_require_login(client: Client, stores) -> None:
    for url in ("/", "/members/", "/members/new/", "/members/search/?q=zs", "/password/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_login_success_redirects_and_audits(client: Client, staff) -> None:
    response = client.post("/login/", {"username": "cashier", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/counter/"  # a cashier lands at the counter
    assert AuditEvent.objects.filter(action="staff.logged_in").count() == 1
    assert client.get("/").status_code == 200  # the dashboard is still there
    assert client.get("/login/")["Location"] == "/counter/"
    client.logout()
    manager = client.post("/login/", {"username": "manager", "password": PASSWORD})
    assert manager["Location"] == "/"


def test_login_follows_safe_next_only(client: Client, staff) -> None:
    response = client.post(
        "/login/?next=/members/",
        {"username": "cashier", "password": PASSWORD, "next": "/members/"},
    )
    assert response["Location"] == "/members/"
    client.logout()
    response = client.post(
        "/login/", {"username": "cashier", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/counter/"


def test_wrong_password_is_counted_and_shown_in_chinese(client: Client, staff) -> None:
    response = client.post("/login/", {"username": "cashier", "password": "wrong-password"})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    assert AccessFailureLog.objects.filter(username="cashier", ip_address="127.0.0.1").count() == 1
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only(cashier_client: Client) -> None:
    assert cashier_client.get("/logout/").status_code == 405
    response = cashier_client.post("/logout/")
    assert response["Location"] == "/login/"
    assert cashier_client.get("/").status_code == 302


def test_change_password(cashier_client: Client, staff) -> None:
    response = cashier_client.post(
        "/password/",
        {
            "old_password": PASSWORD,
            "new_password": "Another-pass-2027",
            "new_password2": "Another-pass-2027",
        },
    )
    assert response.status_code == 302
    staff[Role.CASHIER].refresh_from_db()
    assert staff[Role.CASHIER].check_password("Another-pass-2027")
    # The session survives the change.
    assert cashier_client.get("/").status_code == 200


def test_change_password_wrong_old_password_changes_nothing(cashier_client: Client, staff) -> None:
    response = cashier_client.post(
        "/password/",
        {
            "old_password": "not-the-password",
            "new_password": "Another-pass-2027",
            "new_password2": "Another-pass-2027",
        },
    )
    assert response.status_code == 200
    assert "当前密码不正确" in response.content.decode()
    staff[Role.CASHIER].refresh_from_db()
    assert staff[Role.CASHIER].check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="staff.password_changed").exists()


def test_store_switch_within_scope(client_for, staff, stores) -> None:
    manager = staff[Role.STORE_MANAGER]
    manager.stores.add(stores[1])
    client = client_for(Role.STORE_MANAGER)
    response = client.post("/store/", {"store_id": stores[1].pk, "next": "/members/"})
    assert response["Location"] == "/members/"
    assert client.session["store_id"] == stores[1].pk
    page = client.get("/").content.decode()
    assert "东城店" in page


def test_head_office_switches_back_to_all_stores(client_for, stores) -> None:
    client = client_for(Role.HQ_ADMIN)
    client.post("/store/", {"store_id": stores[1].pk, "next": "/members/"})
    assert client.session["store_id"] == stores[1].pk
    page = client.get("/members/").content.decode()
    assert 'data-testid="switch-all-stores"' in page
    response = client.post("/store/", {"store_id": "all", "next": "/members/"})
    assert response["Location"] == "/members/"
    assert "store_id" not in client.session
    assert "全部门店" in client.get("/members/").content.decode()


def test_a_store_manager_cannot_switch_to_all_stores(client_for, staff, stores) -> None:
    staff[Role.STORE_MANAGER].stores.add(stores[1])
    client = client_for(Role.STORE_MANAGER)
    client.post("/store/", {"store_id": stores[1].pk})
    assert 'data-testid="switch-all-stores"' not in client.get("/members/").content.decode()
    assert client.post("/store/", {"store_id": "all"}).status_code == 403
    assert client.session["store_id"] == stores[1].pk


def test_store_switch_outside_scope_is_refused(cashier_client: Client, stores) -> None:
    response = cashier_client.post("/store/", {"store_id": stores[1].pk})
    assert response.status_code == 403
    assert "store_id" not in cashier_client.session


def test_default_language_is_chinese_and_switches_to_english(cashier_client: Client) -> None:
    page = cashier_client.get("/").content.decode()
    assert "概览" in page
    assert "登记会员" in page
    cashier_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = cashier_client.get("/").content.decode()
    assert "Dashboard" in page
    assert "Register member" in page
    assert "概览" not in page


def test_nav_shows_back_office_only_to_roles_with_permission(client_for) -> None:
    owner_page = client_for(Role.OWNER).get("/").content.decode()
    cashier_page = client_for(Role.CASHIER).get("/").content.decode()
    assert "后台管理" in owner_page
    assert "后台管理" not in cashier_page
    # The counter group is there for whoever sells or recharges, on every page.
    assert "收银台" in cashier_page and 'href="/counter/sale/"' in cashier_page
    marketer_page = client_for(Role.MARKETER).get("/").content.decode()
    assert 'href="/counter/sale/"' not in marketer_page
