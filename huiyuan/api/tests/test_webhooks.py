"""The webhooks API: subscriptions CRUD with Idempotency-Key, the delivery log, replay."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from huiyuan.api.tests.conftest import error_of
from huiyuan.core.permissions import Role
from huiyuan.events.models import OutboxEvent
from huiyuan.webhooks.delivery import deliveries_send, fan_out
from huiyuan.webhooks.interest import interest_clear
from huiyuan.webhooks.models import WebhookDelivery, WebhookSubscription

URL = "https://hooks.example.com/huiyuan"

SUB = "/webhooks/subscriptions"
ONE = "/webhooks/subscriptions/{subscription_id}"
DELIVERY = "/webhooks/deliveries/{delivery_id}"
# Every webhook operation (test_openapi, test_permissions), and the keyed ones.
WEBHOOK_ROUTES = {
    ("GET", SUB),
    ("POST", SUB),
    ("GET", ONE),
    ("PATCH", ONE),
    ("DELETE", ONE),
    ("POST", f"{ONE}/disable"),
    ("POST", f"{ONE}/enable"),
    ("POST", f"{ONE}/rotate-secret"),
    ("GET", "/webhooks/deliveries"),
    ("GET", DELIVERY),
    ("POST", f"{DELIVERY}/replay"),
}
WEBHOOK_PATHS: dict[str, set[str]] = {}
for _method, _path in WEBHOOK_ROUTES:
    WEBHOOK_PATHS.setdefault(f"/api/v1{_path}", set()).add(_method.lower())
WEBHOOK_KEYED = {(m.lower(), f"/api/v1{p}") for m, p in WEBHOOK_ROUTES if m in ("POST", "PATCH")}


@pytest.fixture(autouse=True)
def _forget_interest():
    interest_clear()
    yield
    interest_clear()


@pytest.fixture
def owner_api(as_staff):
    return as_staff(Role.OWNER)


def create(client, key: str = "w-1", **body):
    data = {"name": "ERP", "url": URL, "event_names": ["sale.completed"], **body}
    return client.post("/webhooks/subscriptions", data, **{"Idempotency-Key": key})


def test_create_returns_the_secret_once_and_a_retry_the_same(owner_api):
    first = create(owner_api)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["secret"].startswith("whsec_") and body["secret_hint"] == body["secret"][-4:]
    assert (body["name"], body["url"], body["event_names"], body["is_active"]) == (
        "ERP",
        URL,
        ["sale.completed"],
        True,
    )
    again = create(owner_api)
    assert again.status_code == 201 and again.json() == body
    assert WebhookSubscription.objects.count() == 1
    shown = owner_api.get(f"/webhooks/subscriptions/{body['id']}").json()
    assert "secret" not in shown and shown["secret_hint"] == body["secret_hint"]
    listed = owner_api.get("/webhooks/subscriptions").json()
    assert [s["id"] for s in listed] == [body["id"]]


def test_writes_need_an_idempotency_key(owner_api):
    response = owner_api.post(
        "/webhooks/subscriptions", {"name": "ERP", "url": URL, "event_names": ["sale.completed"]}
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_required"
    assert not WebhookSubscription.objects.exists()


def test_private_targets_and_unknown_events_are_refused(owner_api):
    response = create(owner_api, url="http://127.0.0.1:9000/x")
    assert (response.status_code, error_of(response)["code"]) == (422, "invalid_webhook_url")
    response = create(owner_api, key="w-2", event_names=["sale.nope"])
    assert response.status_code == 422
    assert not WebhookSubscription.objects.exists()


def test_update_disable_enable_rotate_delete(owner_api):
    sub = create(owner_api).json()
    path = f"/webhooks/subscriptions/{sub['id']}"
    changed = owner_api.patch(
        path, {"name": "ERP 2", "event_names": ["wallet.recharged"]}, **{"Idempotency-Key": "u-1"}
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["name"], changed.json()["event_names"]) == (
        "ERP 2",
        ["wallet.recharged"],
    )
    off = owner_api.post(f"{path}/disable", **{"Idempotency-Key": "d-1"})
    assert (off.status_code, off.json()["is_active"], off.json()["disabled_reason"]) == (
        200,
        False,
        "manual",
    )
    again = owner_api.post(f"{path}/disable", **{"Idempotency-Key": "d-2"})
    assert (again.status_code, error_of(again)["code"]) == (409, "webhook_disabled")
    on = owner_api.post(f"{path}/enable", **{"Idempotency-Key": "e-1"})
    assert on.json()["is_active"] is True
    rotated = owner_api.post(f"{path}/rotate-secret", **{"Idempotency-Key": "r-1"})
    assert rotated.status_code == 200 and rotated.json()["secret"] != sub["secret"]
    deleted = owner_api.call("DELETE", path)
    assert (deleted.status_code, deleted.json()["id"]) == (200, sub["id"])
    assert owner_api.get(path).status_code == 404


def test_only_owner_and_head_office(as_staff, owner):
    from huiyuan.webhooks import services

    sub = services.subscription_create(
        actor=owner, name="ERP", url=URL, event_names=["sale.completed"]
    )
    delivery = WebhookDelivery.objects.create(
        subscription=sub, event_id=1, event_name="sale.completed", body="{}"
    )
    bodies = {"POST": {}, "PATCH": {"name": "x"}}
    for role in (Role.STORE_MANAGER, Role.CASHIER, Role.CALL_CENTER, Role.MARKETER):
        client = as_staff(role)
        for method, path in sorted(WEBHOOK_ROUTES):
            url = path.format(subscription_id=sub.pk, delivery_id=delivery.pk)
            if method == "POST" and path == SUB:
                response = create(client)
            else:
                response = client.call(
                    method, url, bodies.get(method), **{"Idempotency-Key": f"{role}-{path}"}
                )
            assert response.status_code == 403, (role, method, path)
            assert error_of(response)["code"] == "permission_denied"
    for role in (Role.OWNER, Role.HQ_ADMIN):
        assert as_staff(role).get(SUB).status_code == 200
    sub.refresh_from_db()
    assert (WebhookSubscription.objects.count(), sub.name, sub.is_active) == (1, "ERP", True)
    assert WebhookDelivery.objects.count() == 1


def test_the_delivery_log_and_replay(owner_api, owner, settings, make_member):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    # Nothing listens on this port: each attempt is a connection error, logged.
    sub = create(owner_api, url="http://127.0.0.1:9/none", event_names=["member.registered"])
    assert sub.status_code == 201, sub.content
    make_member()
    fan_out(OutboxEvent.objects.get(name="member.registered"))
    connection.run_on_commit.clear()
    deliveries_send(now=timezone.now())
    page = owner_api.get("/webhooks/deliveries?status=pending").json()
    assert page["count"] == 1
    item = page["items"][0]
    assert (item["event_name"], item["attempts"], item["last_status_code"]) == (
        "member.registered",
        1,
        None,
    )
    detail = owner_api.get(f"/webhooks/deliveries/{item['id']}").json()
    assert detail["attempt_log"][0]["error"] and detail["attempt_log"][0]["succeeded"] is False
    assert '"name":"member.registered"' in detail["body"]
    replay = owner_api.post(
        f"/webhooks/deliveries/{item['id']}/replay", **{"Idempotency-Key": "rp-1"}
    )
    assert replay.status_code == 201, replay.content
    assert replay.json()["replay_of_id"] == item["id"]
    same = owner_api.post(
        f"/webhooks/deliveries/{item['id']}/replay", **{"Idempotency-Key": "rp-1"}
    )
    assert same.json()["id"] == replay.json()["id"]
    assert WebhookDelivery.objects.count() == 2
    missing = owner_api.post("/webhooks/deliveries/999999/replay", **{"Idempotency-Key": "rp-2"})
    assert (missing.status_code, error_of(missing)["code"]) == (404, "delivery_not_found")
