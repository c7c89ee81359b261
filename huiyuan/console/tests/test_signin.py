"""Login throttling that cannot lock a shop out: per-account lockout (django-axes, user name
only), a progressive delay per address, the owner told, and unlock on the staff page."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.db.models import F
from django.test import Client, RequestFactory, override_settings

from conftest import PASSWORD
from huiyuan.audit.models import AuditEvent
from huiyuan.core.client import client_ip
from huiyuan.core.permissions import Role
from huiyuan.stores import signin

pytestmark = pytest.mark.django_db

SHOP_ADDRESS = "203.0.113.7"  # one public address shared by a store's tills


def attempt(client: Client, username: str, password: str, ip: str = SHOP_ADDRESS):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def wait_out_address_delay(ip: str = SHOP_ADDRESS) -> int:
    """Let the address's current delay pass (move its failures back by that long)."""
    wait = signin.address_wait_seconds(ip=ip)
    if wait:
        shift = dt.timedelta(seconds=wait)
        AccessFailureLog.objects.update(attempt_time=F("attempt_time") - shift)
        AccessAttempt.objects.update(attempt_time=F("attempt_time") - shift)
    return wait


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_twenty_failures_on_one_account_do_not_lock_another_behind_the_same_address(
    staff,
) -> None:
    guesser = Client()
    for _ in range(20):
        wait_out_address_delay()
        response = attempt(guesser, "cashier", "wrong-password")
        assert response.status_code in (200, 429)
    assert AccessFailureLog.objects.filter(ip_address=SHOP_ADDRESS).count() == 20
    assert signin.account_lock("cashier") is not None
    assert signin.account_lock("manager") is None

    # The colleague at the next till: the address waits (at most a minute), never locks.
    colleague = Client()
    response = attempt(colleague, "manager", PASSWORD)
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 60
    page = response.content.decode()
    assert "该网络地址登录失败次数过多" in page
    assert "其他账号不受影响" in page
    assert not logged_in(colleague)
    # The refused attempt was not even checked: nothing new recorded.
    assert AccessFailureLog.objects.count() == 20

    assert wait_out_address_delay() == retry_after
    response = attempt(colleague, "manager", PASSWORD)
    assert response.status_code == 302
    assert logged_in(colleague)


def test_address_delay_grows_with_failures_up_to_the_maximum(staff) -> None:
    guesser = Client()
    waits = []
    for _ in range(18):
        waits.append(wait_out_address_delay())
        attempt(guesser, f"nobody{len(waits)}", "wrong-password")
    # Ten free failures, then 1, 2, 4 … seconds, capped at 60.
    assert waits == [0] * 11 + [1, 2, 4, 8, 16, 32, 60]


def test_locked_account_is_refused_with_a_clear_chinese_message(staff) -> None:
    client = Client()
    for number in range(1, 6):
        response = attempt(client, "cashier", "wrong-password", ip=f"198.51.100.{number}")
    # The fifth failure locks the account, from whatever addresses the guesses came.
    assert response.status_code == 429
    page = response.content.decode()
    assert "该账号因多次登录失败已被锁定" in page
    assert "请 15 分钟后再试" in page
    assert "在“员工”页面解锁" in page
    assert int(response["Retry-After"]) == 15 * 60

    response = attempt(client, "cashier", PASSWORD, ip="192.0.2.99")
    assert response.status_code == 429
    assert "该账号因多次登录失败已被锁定" in response.content.decode()
    assert not logged_in(client)
    assert not AuditEvent.objects.filter(action="staff.logged_in").exists()
    locked = AuditEvent.objects.get(action="staff.locked_out")
    assert locked.subject_id == str(staff[Role.CASHIER].pk)
    assert locked.note == "198.51.100.5"


def test_user_names_are_counted_without_case_or_spaces(staff) -> None:
    client = Client()
    for name in ("cashier", "Cashier", " CASHIER ", "cashier", "cAshier"):
        attempt(client, name, "wrong-password", ip="198.51.100.1")
    assert signin.account_lock("cashier") is not None


def test_the_lock_ends_when_the_window_has_passed(staff) -> None:
    client = Client()
    for number in range(5):
        attempt(client, "cashier", "wrong-password", ip=f"198.51.100.{number}")
    assert attempt(client, "cashier", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=16))
    assert attempt(client, "cashier", PASSWORD, ip="192.0.2.1").status_code == 302
    assert logged_in(client)


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_owner_sees_the_lock_on_the_staff_page_and_unlocks(client_for, staff) -> None:
    cashier = staff[Role.CASHIER]
    for _ in range(3):
        attempt(Client(), "cashier", "wrong-password", ip="198.51.100.1")
    owner = client_for(Role.OWNER)
    page = owner.get("/staff/").content.decode()
    assert 'data-testid="signin-cashier"' in page
    row = page.split('data-testid="signin-cashier"')[1].split("</td>")[0]
    assert 'data-testid="locked"' in row
    assert f"/staff/{cashier.pk}/unlock/" in row

    response = owner.post(f"/staff/{cashier.pk}/unlock/")
    assert response.status_code == 302
    assert signin.account_lock("cashier") is None
    event = AuditEvent.objects.get(action="staff.unlocked")
    assert event.subject_id == str(cashier.pk)
    assert event.before == {"failures": 3}
    assert event.actor == staff[Role.OWNER]

    client = Client()
    assert attempt(client, "cashier", PASSWORD, ip="192.0.2.1").status_code == 302
    assert logged_in(client)


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_only_staff_managers_unlock_and_refusals_change_nothing(client_for, staff) -> None:
    cashier = staff[Role.CASHIER]
    for _ in range(3):
        attempt(Client(), "cashier", "wrong-password", ip="198.51.100.1")
    response = client_for(Role.CALL_CENTER).post(f"/staff/{cashier.pk}/unlock/")
    assert response.status_code == 403
    assert signin.account_lock("cashier") is not None
    for _ in range(3):
        attempt(Client(), "hq", "wrong-password", ip="198.51.100.1")
    # A store manager unlocks its store's staff only: head office is unknown to it.
    response = client_for(Role.STORE_MANAGER).post(f"/staff/{staff[Role.HQ_ADMIN].pk}/unlock/")
    assert response.status_code == 302
    assert signin.account_lock("hq") is not None
    assert not AuditEvent.objects.filter(action="staff.unlocked").exists()

    owner = client_for(Role.OWNER)
    manager = staff[Role.STORE_MANAGER]
    response = owner.post(f"/staff/{manager.pk}/unlock/", follow=True)
    assert "该账号未被锁定" in response.content.decode()
    assert not AuditEvent.objects.filter(action="staff.unlocked").exists()


def test_the_account_holder_is_told_of_failures_at_the_next_login(staff) -> None:
    attempt(Client(), "cashier", "wrong-password", ip="198.51.100.23")
    attempt(Client(), "cashier", "wrong-password", ip="198.51.100.42")
    client = Client()
    response = attempt(client, "cashier", PASSWORD, ip="192.0.2.1")
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert "自上次登录以来，有 2 次以您的账号登录失败" in page
    assert "来自 198.51.100.42" in page
    assert "如果不是您本人，请立即修改密码" in page
    assert AccessAttempt.objects.filter(username="cashier").count() == 0  # reset on success

    # Told once: the next login has nothing new to say.
    client.post("/logout/")
    attempt(client, "cashier", PASSWORD, ip="192.0.2.1")
    assert "登录失败" not in client.get("/").content.decode()


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_a_lock_is_mentioned_at_the_next_login(staff) -> None:
    for _ in range(3):
        attempt(Client(), "cashier", "wrong-password", ip="198.51.100.1")
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=16))
    client = Client()
    attempt(client, "cashier", PASSWORD, ip="192.0.2.1")
    assert "您的账号曾因此被锁定" in client.get("/").content.decode()


@override_settings(TRUSTED_PROXY_COUNT=0)
def test_client_address_ignores_forwarded_headers_without_trusted_proxies() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert client_ip(request) == "10.0.0.5"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_client_address_behind_one_trusted_proxy() -> None:
    factory = RequestFactory()
    # Whatever the client wrote itself stands left of what the proxy appended.
    request = factory.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.9")
    assert client_ip(request) == "198.51.100.9"
    assert client_ip(factory.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="junk")) is None
    assert client_ip(factory.get("/", REMOTE_ADDR="10.0.0.5")) == "10.0.0.5"
