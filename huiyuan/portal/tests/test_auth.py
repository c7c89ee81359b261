"""Member sessions: separate from staff sessions, required by every member page."""

from __future__ import annotations

import pytest
from django.test import Client

from huiyuan.core.permissions import Role
from huiyuan.portal.auth import SESSION_MEMBER
from huiyuan.portal.tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def test_signed_out_member_pages_redirect_to_signin(client):
    for path in ("/m/", "/m/card/", "/m/me/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/m/signin/?next={path.replace('/', '%2F')}"


def test_staff_login_does_not_make_a_member(client, staff):
    client.force_login(staff[Role.CASHIER])
    response = client.get("/m/")
    assert response.status_code == 302
    assert response["Location"].startswith("/m/signin/")
    assert SESSION_MEMBER not in client.session


def test_member_session_does_not_make_staff(member_client):
    client, _member, _card = member_client
    assert client.get("/m/").status_code == 200
    response = client.get("/")
    assert response.status_code == 302  # the console sends a member to the staff login
    assert "/login" in response["Location"]


def test_home_card_and_me_render(member_client):
    client, member, card = member_client
    home = client.get("/m/")
    assert member.name in home.content.decode()
    assert client.get("/m/card/")["Location"] == f"/m/card/{card.pk}/"
    page = client.get(f"/m/card/{card.pk}/").content.decode()
    assert card.number in page
    assert "我的" in client.get("/m/me/").content.decode()


def test_another_members_card_is_404(member_client, member_with_card):
    client, _member, _card = member_client
    _other, other_card = member_with_card("李四")
    response = client.get(f"/m/card/{other_card.pk}/")
    assert response.status_code == 404
    assert other_card.number not in response.content.decode()


def test_inactive_member_is_signed_out(member_client, staff):
    client, member, _card = member_client
    member.status = member.Status.CANCELLED
    member.save(update_fields=["status"])
    assert client.get("/m/").status_code == 302
    assert SESSION_MEMBER not in client.session


def test_sign_in_helper_sets_session(member_with_card):
    m, _c = member_with_card()
    client = sign_in(Client(), m)
    assert client.session[SESSION_MEMBER] == m.pk
    assert Role.CASHIER  # the fixtures use the conftest roles
