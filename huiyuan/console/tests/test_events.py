"""The events pages: owner and head office see events with their deliveries and retry."""

from __future__ import annotations

import html as html_text

import pytest
from django.db import transaction

from huiyuan.audit.models import AuditEvent
from huiyuan.core.permissions import Role
from huiyuan.events.dispatch import events_dispatch
from huiyuan.events.models import EventDelivery, OutboxEvent
from huiyuan.events.registry import registry_restore, registry_snapshot, subscriber
from huiyuan.events.services import event_emit

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing(db):
    """A member.registered event whose one subscriber failed."""
    saved = registry_snapshot()
    registry_restore({})  # only this test's subscriber (the apps' own are tested in their apps)
    state = {"fail": True}

    @subscriber("member.registered", name="test.welcome_coupon")
    def welcome(event: OutboxEvent) -> None:
        if state["fail"]:
            raise RuntimeError("coupon stock empty")

    with transaction.atomic():
        event = event_emit(
            "member.registered", payload={"channel": "store", "referrer_id": None}, member_id=7
        )
    events_dispatch()
    yield event, state
    registry_restore(saved)


def quiet_event() -> OutboxEvent:
    """An event nobody subscribes to."""
    with transaction.atomic():
        return event_emit("points.adjusted", payload={"card_id": 1, "operation_id": 1, "delta": 5})


def test_the_list_shows_each_event_with_its_deliveries_and_errors(client_for, failing):
    event, _state = failing
    other = quiet_event()
    response = client_for(Role.HQ_ADMIN).get("/events/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-testid="event-row-{event.pk}"' in html
    assert "test.welcome_coupon" in html
    assert "RuntimeError: coupon stock empty" in html
    assert f'data-testid="event-retry-{event.pk}"' in html
    # Nobody subscribes to the other: delivered, nothing to retry.
    assert f'data-testid="event-row-{other.pk}"' in html
    assert f'data-testid="event-retry-{other.pk}"' not in html


def test_filters_and_the_detail_page(client_for, failing):
    event, _state = failing
    quiet_event()
    client = client_for(Role.OWNER)
    html = client.get("/events/?status=pending").content.decode()
    assert f"event-row-{event.pk}" in html
    assert html.count('data-testid="event-row-') == 1
    detail = html_text.unescape(client.get(f"/events/{event.pk}/").content.decode())
    assert '"channel": "store"' in detail and '"referrer_id": null' in detail
    assert "RuntimeError: coupon stock empty" in detail
    assert client.get("/events/999999/").status_code == 404


def test_retry_delivers_the_failed_subscriber(client_for, failing):
    event, state = failing
    state["fail"] = False
    response = client_for(Role.OWNER).post(f"/events/{event.pk}/retry/", follow=True)
    assert response.status_code == 200
    event.refresh_from_db()
    assert event.status == "pending"  # the dispatch runs after the commit: the sweep's turn
    events_dispatch()
    event.refresh_from_db()
    assert event.status == "done"
    assert list(EventDelivery.objects.values_list("status", "attempts")) == [("done", 1)]
    assert AuditEvent.objects.filter(action="event.retried", subject_id=str(event.pk)).count() == 1


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.CASHIER, Role.MARKETER])
def test_other_roles_are_refused_and_change_nothing(client_for, failing, role):
    event, _state = failing
    client = client_for(role)
    assert client.get("/events/").status_code == 403
    assert client.get(f"/events/{event.pk}/").status_code == 403
    assert client.post(f"/events/{event.pk}/retry/").status_code == 403
    event.refresh_from_db()
    assert (event.status, EventDelivery.objects.get().attempts) == ("pending", 1)
    assert "/events/" not in client.get("/").content.decode()


def test_the_back_office_menu_links_the_page_for_head_office(client_for):
    assert 'href="/events/"' in client_for(Role.HQ_ADMIN).get("/").content.decode()
