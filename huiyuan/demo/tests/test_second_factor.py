"""The printed demo logins still work with two-factor sign-in on: the owner and the HQ
admin sign in with the printed key (a real TOTP code) or a printed backup code."""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp

from huiyuan.audit.models import AuditEvent
from huiyuan.demo import loader

NOW = timezone.make_aware(dt.datetime(2026, 3, 15, 11, 30))


def app_code(step_ahead: int = 0) -> str:
    """What an authenticator app set up with the printed key shows."""
    key = base64.b32decode(loader.DEMO_TOTP_SECRET.replace(" ", ""))
    return f"{totp(key, drift=step_ahead):06d}"


def sign_in(username: str, code: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": loader.DEMO_PASSWORD})
    assert response["Location"] == "/login/verify/"
    response = client.post("/login/verify/", {"code": code})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "_auth_user_id" in client.session
    return client


@pytest.mark.django_db
def test_owner_and_hq_sign_in_with_the_printed_key() -> None:
    loader.load_demo(members=5, now=NOW, cardholders=0)
    sign_in("owner", app_code())
    sign_in("hq", app_code())
    # The other printed logins need the password only.
    client = Client()
    response = client.post("/login/", {"username": "cashier1a", "password": loader.DEMO_PASSWORD})
    assert response["Location"] == "/counter/"  # a cashier lands at the counter


@pytest.mark.django_db
def test_printed_backup_codes_work_once_and_the_loader_puts_them_back() -> None:
    loader.load_demo(members=5, now=NOW, cardholders=0)
    sign_in("owner", loader.DEMO_BACKUP_CODES[0])
    client = Client()
    client.post("/login/", {"username": "owner", "password": loader.DEMO_PASSWORD})
    assert client.post("/login/verify/", {"code": loader.DEMO_BACKUP_CODES[0]}).status_code == 200
    assert "_auth_user_id" not in client.session

    enrolled = AuditEvent.objects.filter(action="staff.second_factor_enrolled").count()
    loader.load_demo(members=5, now=NOW, cardholders=0)
    assert AuditEvent.objects.filter(action="staff.second_factor_enrolled").count() == enrolled + 1
    sign_in("owner", loader.DEMO_BACKUP_CODES[0])  # the restored code works again
    loader.load_demo(members=5, now=NOW, cardholders=0)
    assert AuditEvent.objects.filter(action="staff.second_factor_enrolled").count() == enrolled + 2
    # Nothing used since: another run changes nothing.
    loader.load_demo(members=5, now=NOW, cardholders=0)
    assert AuditEvent.objects.filter(action="staff.second_factor_enrolled").count() == enrolled + 2


@pytest.mark.django_db
def test_the_printout_gives_the_key_and_backup_codes() -> None:
    out = io.StringIO()
    call_command("demo", "--members", "5", "--cardholders", "0", stdout=out)
    text = out.getvalue()
    assert "HUIY UAND EMOH UIYU ANDE MOHU IYUA NDEM" in text
    for code in loader.DEMO_BACKUP_CODES:
        assert code in text
    assert "owner and hq also enter a code" in text
