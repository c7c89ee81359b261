"""The webhook pages: create (secret shown once), edit, disable, the log, replay, the
notice after repeated failures; the API key page's scopes and limit."""

from __future__ import annotations

import pytest
from django.utils import timezone

from huiyuan.core.permissions import Role
from huiyuan.stores.models import ApiKey
from huiyuan.stores.services import api_key_create
from huiyuan.webhooks import services
from huiyuan.webhooks.interest import interest_clear
from huiyuan.webhooks.models import WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/in"


@pytest.fixture(autouse=True)
def _forget_interest():
    interest_clear()
    yield
    interest_clear()


def test_create_shows_the_secret_once(owner_client):
    page = owner_client.get("/webhooks/new/")
    assert page.status_code == 200
    response = owner_client.post(
        "/webhooks/new/",
        {
            "name": "ERP",
            "url": URL,
            "event_names": ["sale.completed", "wallet.recharged"],
            "idempotency_key": "k-1",
        },
    )
    assert response.status_code == 200
    sub = WebhookSubscription.objects.get()
    from huiyuan.webhooks.selectors import subscription_secret

    secret = subscription_secret(sub)
    assert secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert secret not in owner_client.get(f"/webhooks/{sub.pk}/").content.decode()
    assert sub.event_names == ["sale.completed", "wallet.recharged"]
    listed = owner_client.get("/webhooks/").content.decode()
    assert "ERP" in listed and URL in listed


def test_a_private_url_is_refused_next_to_the_field(owner_client):
    response = owner_client.post(
        "/webhooks/new/",
        {"name": "ERP", "url": "http://10.0.0.5/x", "event_names": ["sale.completed"]},
    )
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_edit_disable_enable_and_replay(owner, owner_client):
    sub = services.subscription_create(
        actor=owner, name="ERP", url=URL, event_names=["sale.completed"]
    )
    response = owner_client.post(
        f"/webhooks/{sub.pk}/edit/",
        {"name": "ERP 2", "url": URL, "event_names": ["tier.changed"]},
    )
    assert response.status_code == 302
    sub.refresh_from_db()
    assert (sub.name, sub.event_names) == ("ERP 2", ["tier.changed"])
    delivery = WebhookDelivery.objects.create(
        subscription=sub,
        event_id=1,
        event_name="tier.changed",
        body="{}",
        next_attempt_at=timezone.now(),
    )
    detail = owner_client.get(f"/webhooks/{sub.pk}/").content.decode()
    assert f"delivery-row-{delivery.pk}" in detail
    assert owner_client.get(f"/webhooks/deliveries/{delivery.pk}/").status_code == 200
    response = owner_client.post(f"/webhooks/deliveries/{delivery.pk}/replay/")
    replay = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    assert response.status_code == 302 and replay.replay_of_id == delivery.pk
    owner_client.post(f"/webhooks/{sub.pk}/disable/")
    sub.refresh_from_db()
    assert (sub.is_active, sub.disabled_reason) == (False, "manual")
    owner_client.post(f"/webhooks/{sub.pk}/enable/")
    sub.refresh_from_db()
    assert sub.is_active


def test_the_notice_after_repeated_failures(owner, owner_client):
    sub = services.subscription_create(
        actor=owner, name="ERP", url=URL, event_names=["sale.completed"]
    )
    WebhookSubscription.objects.filter(pk=sub.pk).update(
        is_active=False,
        disabled_reason="failures",
        consecutive_failures=20,
        disabled_at=timezone.now(),
    )
    page = owner_client.get("/webhooks/").content.decode()
    assert 'data-testid="webhook-disabled-notice"' in page
    assert (
        'data-testid="webhook-disabled-notice"'
        in owner_client.get(f"/webhooks/{sub.pk}/").content.decode()
    )


def test_store_staff_cannot_see_webhooks(client_for):
    client = client_for(Role.STORE_MANAGER)
    assert client.get("/webhooks/").status_code == 403
    assert 'data-testid="nav-webhooks"' not in client.get("/").content.decode()


def test_the_api_key_page_sets_scopes_and_limit(owner, owner_client, terminal):
    response = owner_client.post(
        "/api-keys/",
        {
            "terminal": terminal.pk,
            "name": "POS",
            "role": "cashier",
            "scopes": ["members:read", "sell"],
            "rate_limit_per_minute": 120,
        },
    )
    assert response.status_code == 200
    key = ApiKey.objects.get()
    assert (key.scopes, key.rate_limit_per_minute) == (["members:read", "sell"], 120)
    response = owner_client.post(
        f"/api-keys/{key.pk}/limits/", {"scopes": ["all"], "rate_limit_per_minute": 60}
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert (key.scopes, key.rate_limit_per_minute) == (["all"], 60)
    refused = owner_client.post(
        f"/api-keys/{key.pk}/limits/", {"scopes": [], "rate_limit_per_minute": 0}
    )
    assert refused.status_code == 200
    key.refresh_from_db()
    assert (key.scopes, key.rate_limit_per_minute) == (["all"], 60)
    listed = owner_client.get("/api-keys/").content.decode()
    assert f'data-testid="api-key-scopes-{key.pk}"' in listed
    assert f"/api-keys/{key.pk}/limits/" in listed
    api_key_create(actor=owner, terminal_id=terminal.pk, name="old")
    assert ApiKey.objects.get(name="old").scopes == ["all"]
