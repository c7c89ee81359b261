"""Two-factor sign-in for owner and HQ roles (django-otp): enrolment with a QR code and the
secret, the code after the password, backup codes shown once, reset by an owner. Codes are
real TOTP codes computed in the test (django_otp.oath.totp)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from axes.models import AccessFailureLog
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from huiyuan.audit.models import AuditEvent
from huiyuan.console.auth.views import PENDING_KEY
from huiyuan.core.permissions import Role
from huiyuan.stores.tests.totp import code_for, enrol

pytestmark = pytest.mark.django_db


def password_step(client: Client, username: str, next_url: str = ""):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post("/login/", data)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_password_alone_gives_an_owner_no_session(staff) -> None:
    client = Client()
    response = password_step(client, "owner")
    assert response.status_code == 302
    assert response["Location"] == "/login/enrol/"
    assert not logged_in(client)
    # No console page and no API call accepts the half-finished sign-in.
    assert client.get("/").status_code == 302
    assert client.get("/staff/").status_code == 302
    assert client.get("/api/v1/stores").status_code == 401
    assert not AuditEvent.objects.filter(action="staff.logged_in").exists()


def test_owner_enrols_at_first_login_and_sees_backup_codes_once(staff) -> None:
    owner = staff[Role.OWNER]
    client = Client()
    password_step(client, "owner", next_url="/members/")
    page = client.get("/login/enrol/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "设置两步验证" in text
    device = TOTPDevice.objects.get(user=owner, confirmed=False)
    secret = page.context["secret"]
    assert secret in text and len(secret.replace(" ", "")) == 32  # 20 bytes in Base32
    qr = client.get("/login/enrol/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml"
    assert qr.content.startswith(b"<?xml") and b"<svg" in qr.content
    # Reloading shows the same secret until it is confirmed.
    assert client.get("/login/enrol/").context["secret"] == secret

    response = client.post("/login/enrol/", {"code": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == "/account/backup-codes/?next=%2Fmembers%2F"
    assert logged_in(client)
    device.refresh_from_db()
    assert device.confirmed

    page = client.get(response["Location"])
    codes = page.context["codes"]
    assert len(codes) == 10
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=owner).values_list("token", flat=True)
    )
    assert all(code in page.content.decode() for code in codes)
    assert page.context["next"] == "/members/"
    # Shown once: the page does not show them again.
    again = client.get("/account/backup-codes/")
    assert again.status_code == 302 and again["Location"] == "/account/security/"

    assert AuditEvent.objects.filter(action="staff.second_factor_enrolled").count() == 1
    login = AuditEvent.objects.get(action="staff.logged_in")
    assert login.after == {"second_factor": "totp"}


def test_a_wrong_first_code_enrols_nothing(staff) -> None:
    owner = staff[Role.OWNER]
    client = Client()
    password_step(client, "owner")
    client.get("/login/enrol/")
    response = client.post("/login/enrol/", {"code": "000000"})
    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()
    assert not logged_in(client)
    assert not TOTPDevice.objects.filter(user=owner, confirmed=True).exists()
    assert not StaticDevice.objects.filter(user=owner).exists()
    assert (
        not AuditEvent.objects.filter(action__startswith="staff.")
        .exclude(action="staff.created")
        .exists()
    )


def test_enrolled_owner_logs_in_with_a_code_from_the_app(staff) -> None:
    device, _codes = enrol(staff[Role.OWNER])
    client = Client()
    response = password_step(client, "owner")
    assert response["Location"] == "/login/verify/"
    page = client.get("/login/verify/").content.decode()
    assert "两步验证" in page

    response = client.post("/login/verify/", {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert logged_in(client)
    assert client.session["otp_device_id"] == device.persistent_id
    assert PENDING_KEY not in client.session
    assert client.get("/staff/").status_code == 200


def test_a_wrong_code_is_refused_and_counts_as_a_failed_login(staff) -> None:
    enrol(staff[Role.OWNER])
    client = Client()
    password_step(client, "owner")
    response = client.post("/login/verify/", {"code": "123456"})
    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()
    assert not logged_in(client)
    assert AccessFailureLog.objects.filter(username="owner").count() == 1

    # Straight away again: the device makes the guesser wait (1, 2, 4 … seconds).
    response = client.post("/login/verify/", {"code": "654321"})
    assert response.status_code == 429
    assert "验证码错误次数过多" in response.content.decode()
    assert not logged_in(client)


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0, LOGIN_FAILURE_LIMIT=3)
def test_wrong_codes_lock_the_account_like_wrong_passwords(staff) -> None:
    _device, _codes = enrol(staff[Role.OWNER])
    client = Client()
    password_step(client, "owner")
    for _ in range(2):
        assert client.post("/login/verify/", {"code": "123456"}).status_code == 200
    response = client.post("/login/verify/", {"code": "123456"})
    assert response.status_code == 429
    assert "该账号因多次登录失败已被锁定" in response.content.decode()
    assert AuditEvent.objects.filter(action="staff.locked_out").count() == 1
    # The half sign-in is over, and even the right password and code cannot finish one.
    assert PENDING_KEY not in client.session
    assert password_step(client, "owner").status_code == 429
    assert not logged_in(client)


def test_a_backup_code_works_once(staff) -> None:
    owner = staff[Role.OWNER]
    _device, codes = enrol(owner)
    client = Client()
    password_step(client, "owner")
    response = client.post("/login/verify/", {"code": codes[0].upper()})
    assert response.status_code == 302
    assert logged_in(client)
    assert AuditEvent.objects.get(action="staff.logged_in").after == {
        "second_factor": "backup_code"
    }
    assert StaticToken.objects.filter(device__user=owner).count() == 9

    other = Client()
    password_step(other, "owner")
    response = other.post("/login/verify/", {"code": codes[0]})
    assert response.status_code == 200
    assert not logged_in(other)


def test_the_last_backup_codes_bring_a_warning(staff) -> None:
    owner = staff[Role.OWNER]
    _device, codes = enrol(owner)
    StaticToken.objects.filter(device__user=owner).exclude(token__in=codes[:3]).delete()
    client = Client()
    password_step(client, "owner")
    client.post("/login/verify/", {"code": codes[0]})
    assert "您只剩 2 个备用码" in client.get("/").content.decode()


def test_the_half_sign_in_expires(staff) -> None:
    device, _codes = enrol(staff[Role.OWNER])
    client = Client()
    password_step(client, "owner")
    session = client.session
    session[PENDING_KEY] = {**session[PENDING_KEY], "at": int(time.time()) - 301}
    session.save()
    response = client.post("/login/verify/", {"code": code_for(device)}, follow=True)
    assert response.redirect_chain[-1][0] == "/login/"
    assert "登录已超时" in response.content.decode()
    assert not logged_in(client)


def test_hq_admin_is_asked_too_but_not_the_other_roles(staff) -> None:
    client = Client()
    assert password_step(client, "hq")["Location"] == "/login/enrol/"
    for username in ("manager", "cashier", "agent", "marketer"):
        client = Client()
        response = password_step(client, username)
        assert response["Location"] == ("/counter/" if username == "cashier" else "/")
        assert logged_in(client)


@override_settings(TWO_FACTOR_ROLES=frozenset())
def test_the_policy_can_be_switched_off(staff) -> None:
    client = Client()
    assert password_step(client, "owner")["Location"] == "/"
    assert logged_in(client)


def test_owner_resets_a_lost_phone_and_hq_enrols_again(client_for, staff) -> None:
    hq = staff[Role.HQ_ADMIN]
    enrol(hq)
    owner = client_for(Role.OWNER)
    page = owner.get("/staff/").content.decode()
    row = page.split('data-testid="signin-hq"')[1].split("</td>")[0]
    assert "两步验证已开启" in row
    assert f"/staff/{hq.pk}/second-factor/reset/" in row

    response = owner.post(f"/staff/{hq.pk}/second-factor/reset/")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=hq).exists()
    assert not StaticDevice.objects.filter(user=hq).exists()
    assert AuditEvent.objects.get(action="staff.second_factor_reset").subject_id == str(hq.pk)
    row = owner.get("/staff/").content.decode().split('data-testid="signin-hq"')[1]
    assert "两步验证：下次登录时设置" in row.split("</td>")[0]

    assert password_step(Client(), "hq")["Location"] == "/login/enrol/"


def test_only_staff_managers_reset_a_second_factor(client_for, staff) -> None:
    hq = staff[Role.HQ_ADMIN]
    enrol(hq)
    response = client_for(Role.CASHIER).post(f"/staff/{hq.pk}/second-factor/reset/")
    assert response.status_code == 403
    # A store manager manages its store's staff only: head office is unknown to it.
    response = client_for(Role.STORE_MANAGER).post(
        f"/staff/{hq.pk}/second-factor/reset/", follow=True
    )
    assert "员工不存在" in response.content.decode()
    assert TOTPDevice.objects.filter(user=hq, confirmed=True).exists()
    assert not AuditEvent.objects.filter(action="staff.second_factor_reset").exists()


def test_new_backup_codes_need_a_current_code(staff) -> None:
    owner = staff[Role.OWNER]
    device, old_codes = enrol(owner)
    client = Client()
    client.force_login(owner)
    page = client.get("/account/security/").content.decode()
    assert "剩余备用码：10 个" in page

    response = client.post("/account/security/", {"code": "000000"})
    assert "验证码不正确" in response.content.decode()
    assert sorted(
        StaticToken.objects.filter(device__user=owner).values_list("token", flat=True)
    ) == sorted(old_codes)

    # A second later (the device waits a second after a wrong code), with the right code:
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - dt.timedelta(seconds=2)
    )
    response = client.post("/account/security/", {"code": code_for(device)})
    assert response["Location"] == "/account/backup-codes/"
    new_codes = client.get("/account/backup-codes/").context["codes"]
    assert set(new_codes).isdisjoint(old_codes)
    assert AuditEvent.objects.filter(action="staff.backup_codes_renewed").count() == 1


def test_the_session_key_changes_at_each_step(staff) -> None:
    """No fixation: the key after the password and after the code is a new one."""
    device, _codes = enrol(staff[Role.OWNER])
    client = Client()
    session = client.session
    session["seen"] = True
    session.save()
    before = session.session_key
    password_step(client, "owner")
    after_password = client.session.session_key
    client.post("/login/verify/", {"code": code_for(device)})
    after_code = client.session.session_key
    assert len({before, after_password, after_code}) == 3
    assert logged_in(client)
