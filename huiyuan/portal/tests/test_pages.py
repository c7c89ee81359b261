"""Portal pages through the test client: join by link, sign in, reset, card, privacy."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from huiyuan.care.testing import outbox
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import key
from huiyuan.members.models import Member
from huiyuan.portal.auth import SESSION_MEMBER
from huiyuan.selfservice import services
from huiyuan.selfservice.cardcode import card_code_resolve
from huiyuan.selfservice.joinlink import JoinLink, join_link_make
from huiyuan.selfservice.models import Attempt
from huiyuan.wallet.services import wallet_recharge

pytestmark = pytest.mark.django_db

MOBILE = "13912345678"


def code_in_sms(mobile: str) -> str:
    match = re.search(r"\d{6}", outbox(mobile)[-1])
    assert match
    return match.group(0)


@pytest.fixture
def join_url(stores, staff) -> str:
    services.document_publish(kind="charter", title="会员章程", body="第一条")
    services.document_publish(kind="privacy", title="隐私政策", body="我们收集")
    token = join_link_make(JoinLink(store_id=stores[0].pk, staff_id=staff[Role.CASHIER].pk))
    return reverse("portal:join") + "?t=" + token


def test_join_page_flow(client, join_url, stores, django_capture_on_commit_callbacks):
    page = client.get(join_url)
    assert page.status_code == 200 and stores[0].name in page.content.decode()
    token = join_url.split("t=")[1]
    form = {"t": token, "mobile": MOBILE, "name": "张三", "password": "Member-pass-2026"}
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(join_url, {**form, "action": "code"})
    assert "验证码已通过短信发送" in sent.content.decode()
    refused = client.post(join_url, {**form, "code": code_in_sms(MOBILE), "action": "join"})
    assert "请阅读并同意" in refused.content.decode()
    assert not Member.objects.exists()
    done = client.post(
        join_url, {**form, "code": code_in_sms(MOBILE), "consent": "on", "action": "join"}
    )
    assert done.status_code == 302 and done["Location"] == "/m/"
    member = Member.objects.get()
    assert client.session[SESSION_MEMBER] == member.pk
    assert member.home_store_id == stores[0].pk


def test_tampered_join_link_says_what_to_do(client, join_url):
    response = client.get(join_url[:-3] + "abc")
    assert response.status_code == 400
    assert "请重新扫描门店收银台的二维码" in response.content.decode()


def test_signin_password_and_failure_message(client, member_client):
    _c, member, _card = member_client
    services._set_password(member.pk, "Member-pass-2026")
    bad = client.post("/m/signin/", {"mobile": member.mobile, "password": "nope-nope-1"})
    assert "手机号或密码错误" in bad.content.decode()
    assert SESSION_MEMBER not in client.session
    ok = client.post(
        "/m/signin/?next=/m/me/",
        {"mobile": member.mobile, "password": "Member-pass-2026", "next": "/m/me/"},
    )
    assert ok["Location"] == "/m/me/"
    assert client.session[SESSION_MEMBER] == member.pk
    # a foreign next is ignored
    client.post("/m/signout/")
    ok = client.post(
        "/m/signin/",
        {"mobile": member.mobile, "password": "Member-pass-2026", "next": "https://evil.example/"},
    )
    assert ok["Location"] == "/m/"


def test_signin_by_code_and_reset(client, member_client, django_capture_on_commit_callbacks):
    _c, member, _card = member_client
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/m/signin/", {"mode": "code", "mobile": member.mobile, "action": "code"})
    ok = client.post(
        "/m/signin/", {"mode": "code", "mobile": member.mobile, "code": code_in_sms(member.mobile)}
    )
    assert ok.status_code == 302
    client.post("/m/signout/")
    Attempt.objects.update(created_at="2020-01-01T00:00:00Z")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/m/reset/", {"mobile": member.mobile, "action": "code"})
    done = client.post(
        "/m/reset/",
        {"mobile": member.mobile, "code": code_in_sms(member.mobile), "password": "Brand-new-2026"},
    )
    assert done.status_code == 302
    assert services.signin_password(mobile=member.mobile, password="Brand-new-2026").pk == member.pk


def test_password_change_signs_out_other_sessions(member_client):
    client, member, _card = member_client
    other = Client()
    from huiyuan.portal.tests.conftest import sign_in

    sign_in(other, member)
    assert other.get("/m/").status_code == 200
    response = client.post("/m/privacy/password/", {"password": "Fresh-pass-2026"})
    assert response.status_code == 302
    assert client.get("/m/").status_code == 200  # this session was renewed
    assert other.get("/m/").status_code == 302  # the other one is signed out


def test_card_page_shows_code_balances_and_history(member_client, cashier):
    client, _member, card = member_client
    wallet_recharge(
        actor=cashier, card_id=card.pk, amount_fen=12345, method="cash", idempotency_key=key()
    )
    page = client.get(f"/m/card/{card.pk}/").content.decode()
    assert "¥123.45" in page
    code = re.search(r"88\d{16}", page)
    assert code and card_code_resolve(code.group(0)) == card.pk
    assert "style=" not in page and "<script>" not in page
    fragment = client.get(f"/m/card/{card.pk}/code/")
    assert fragment["Cache-Control"] == "no-store"
    history = client.get(f"/m/card/{card.pk}/history/").content.decode()
    assert "+¥123.45" in history and "余 ¥123.45" in history


def test_sections_render(member_client):
    client, _m, _c = member_client
    for name in (
        "portal:sections:coupons",
        "portal:sections:packages",
        "portal:sections:gifts",
        "portal:charter",
    ):
        assert client.get(reverse(name)).status_code == 200
    me = client.get("/m/me/").content.decode()
    assert "我的优惠券" in me and "我的数据与隐私" in me


def test_privacy_export_and_delete(member_client):
    client, member, card = member_client
    response = client.post("/m/privacy/export/")
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    data = json.loads(response.content)
    assert data["profile"]["member_number"] == member.code
    assert data["cards"][0]["number"] == card.number
    assert "请在框内输入" in client.post("/m/privacy/delete/", {"confirm": "x"}).content.decode()
    done = client.post("/m/privacy/delete/", {"confirm": "注销"})
    assert "您的账户已注销" in done.content.decode()
    member.refresh_from_db()
    assert member.status == Member.Status.TERMINATED
    assert client.get("/m/").status_code == 302


def test_chinese_first_english_available(client):
    assert "会员登录" in client.get("/m/signin/").content.decode()
    english = client.get("/m/signin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Member sign-in" in english and "Forgot password?" in english
