"""Who may call the API: terminal keys (Bearer or X-API-Key) and staff sessions."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from huiyuan.api.tests.conftest import ApiClient, error_of, new_client, snapshot, translated
from huiyuan.core.permissions import Role
from huiyuan.members.models import Member
from huiyuan.stores.models import ApiKey, Terminal
from huiyuan.stores.services import api_key_revoke

NEW_MEMBER = {"name": "李四", "mobile": "13900001111"}


def keyed(key: str, header: str = "Authorization") -> ApiClient:
    value = f"Bearer {key}" if header == "Authorization" else key
    return ApiClient(new_client(), {header: value})


@pytest.mark.parametrize("header", ["Authorization", "X-API-Key"])
def test_terminal_key_authenticates(terminal_key, terminal, stores, header):
    response = keyed(terminal_key, header).get("/me")
    assert response.status_code == 200
    assert response.json() == {
        "kind": "terminal",
        "role": "cashier",
        "role_label": translated("Cashier"),
        "staff": None,
        "terminal": {"id": terminal.pk, "code": "POS-01", "name": "1号收银台"},
        "store": {"id": stores[0].pk, "code": "S01", "name": "旗舰店"},
        "store_ids": [stores[0].pk],
        "permissions": sorted(p.value for p in response.wsgi_request.auth.perms),
    }
    assert ApiKey.objects.get().last_used_at is not None


def test_staff_session_me(as_staff, staff, stores):
    response = as_staff(Role.STORE_MANAGER).get("/me")
    assert response.status_code == 200
    body = response.json()
    manager = staff[Role.STORE_MANAGER]
    assert body["kind"] == "staff"
    assert body["staff"] == {"id": manager.pk, "username": "manager", "display_name": "manager"}
    assert (body["role"], body["terminal"], body["store_ids"]) == (
        "store_manager",
        None,
        [stores[0].pk],
    )
    assert "member.view_pii" in body["permissions"]
    owner = as_staff(Role.OWNER).get("/me").json()
    assert (owner["store"], owner["store_ids"]) == (None, None)


def _unauthenticated(response) -> None:
    assert response.status_code == 401, response.content
    assert error_of(response) == {
        "code": "unauthenticated",
        "message": translated("Sign in or send a valid API key."),
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="huiyuan"'


@pytest.mark.parametrize(
    "key",
    [
        "hy_deadbeef_wrongsecret",
        "not-a-key",
        "hy_",
        "",
        "hy_" + "x" * 500,
    ],
)
def test_bad_keys_are_unauthenticated(terminal_key, key):
    before = snapshot()
    _unauthenticated(keyed(key).post("/members", NEW_MEMBER))
    _unauthenticated(keyed(key, "X-API-Key").get("/members"))
    assert snapshot() == before


def test_right_prefix_wrong_secret(terminal_key):
    prefix = terminal_key[: len("hy_") + 8]  # hy_<8 hex>_<secret>
    forged = f"{prefix}_{'A' * 43}"
    assert forged != terminal_key
    _unauthenticated(keyed(forged).get("/me"))


def test_revoked_key(terminal_key, owner):
    assert keyed(terminal_key).get("/me").status_code == 200
    api_key_revoke(actor=owner, api_key_id=ApiKey.objects.get().pk)
    before = snapshot()
    _unauthenticated(keyed(terminal_key).post("/members", NEW_MEMBER))
    assert snapshot() == before


def test_key_of_a_disabled_terminal(terminal_key, terminal):
    Terminal.objects.filter(pk=terminal.pk).update(is_active=False)
    _unauthenticated(keyed(terminal_key).get("/me"))


def test_key_of_another_store_acts_only_there(key_for, stores, make_member):
    other = Terminal.objects.create(store=stores[1], code="POS-21", name="东城1号")
    client = keyed(key_for(other))
    member = make_member()  # at stores[0]
    before = snapshot()
    response = client.post("/members", {**NEW_MEMBER, "store_id": stores[0].pk})
    assert response.status_code == 403
    assert error_of(response)["code"] == "store_forbidden"
    response = client.patch(f"/members/{member.pk}", {"occupation": "厨师"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "store_forbidden"
    assert snapshot() == before
    created = client.post("/members", NEW_MEMBER)
    assert created.status_code == 201
    assert created.json()["home_store"]["id"] == stores[1].pk


def test_no_credentials(db, anon):
    before = snapshot()
    for method, path in [
        ("GET", "/me"),
        ("GET", "/members"),
        ("GET", "/stores"),
        ("POST", "/members"),
        ("POST", "/members/1/freeze"),
        ("PATCH", "/members/1"),
    ]:
        _unauthenticated(anon.call(method, path, NEW_MEMBER if method != "GET" else None))
    assert snapshot() == before


def test_disabled_staff_session(staff):
    cashier = staff[Role.CASHIER]
    client = new_client()
    client.force_login(cashier)
    cashier.is_active = False
    cashier.save()
    _unauthenticated(ApiClient(client).get("/me"))


def test_session_writes_need_the_csrf_token(staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff[Role.CASHIER])
    api = ApiClient(client)
    before = snapshot()
    refused = api.post("/members", NEW_MEMBER)
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "csrf_failed"
    assert snapshot() == before
    client.get("/api/v1/docs")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = api.post("/members", NEW_MEMBER, **{"X-CSRFToken": token})
    assert accepted.status_code == 201, accepted.content


def test_terminal_keys_need_no_csrf_token(terminal_key):
    api = ApiClient(Client(enforce_csrf_checks=True), {"X-API-Key": terminal_key})
    assert api.post("/members", NEW_MEMBER).status_code == 201


def test_session_store_outside_the_scope_is_ignored(staff, stores):
    client = new_client()
    client.force_login(staff[Role.CASHIER])
    session = client.session
    session["store_id"] = stores[1].pk
    session.save()
    api = ApiClient(client)
    assert api.get("/me").json()["store"]["id"] == stores[0].pk
    assert api.post("/members", NEW_MEMBER).json()["home_store"]["id"] == stores[0].pk


def test_session_store_chosen_in_the_console_is_used(staff, stores):
    client = new_client()
    client.force_login(staff[Role.OWNER])
    session = client.session
    session["store_id"] = stores[1].pk
    session.save()
    response = ApiClient(client).post("/members", NEW_MEMBER)
    assert response.status_code == 201
    assert Member.objects.get().home_store_id == stores[1].pk


def test_owner_without_a_store_must_choose_one(as_staff):
    before = snapshot()
    response = as_staff(Role.OWNER).post("/members", NEW_MEMBER)
    assert response.status_code == 422
    assert error_of(response)["code"] == "store_required"
    assert snapshot() == before


def test_key_last_used_is_recorded(terminal_key):
    keyed(terminal_key).get("/me")
    used = ApiKey.objects.get().last_used_at
    assert used is not None and (timezone.now() - used).total_seconds() < 60
