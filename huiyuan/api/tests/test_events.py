"""GET /events: the domain-event feed for integrators (paged by id, filtered, scoped)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from huiyuan.api.tests.conftest import ApiClient, error_of, new_client
from huiyuan.core.permissions import Role
from huiyuan.events.models import OutboxEvent
from huiyuan.events.names import PERSONAL_KEYS
from huiyuan.events.registry import registry_restore, registry_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_subscribers():
    """The feed itself, with no subscriber: an event with none is done as it is emitted
    (the apps' own subscribers are tested in their apps)."""
    saved = registry_snapshot()
    registry_restore({})
    yield
    registry_restore(saved)


@pytest.fixture
def members(make_member, stores):
    """Three registrations: two at the first store, one at the second."""
    return [
        make_member(name="张三丰", mobile="13812345678"),
        make_member(name="李四", mobile="13812345679"),
        make_member(name="王五", mobile="13812345670", store=stores[1]),
    ]


def test_head_office_pages_through_every_event_oldest_first(as_staff, members, stores):
    hq = as_staff(Role.HQ_ADMIN)
    first = hq.get("/events?limit=2")
    assert first.status_code == 200, first.content
    body = first.json()
    ids = [e.pk for e in OutboxEvent.objects.order_by("id")]
    assert [item["id"] for item in body["items"]] == ids[:2]
    assert (body["limit"], body["after"], body["next_after"], body["has_more"]) == (
        2,
        0,
        ids[1],
        True,
    )
    assert body["items"][0] == {
        "id": ids[0],
        "name": "member.registered",
        "occurred_at": body["items"][0]["occurred_at"],
        "member_id": members[0].pk,
        "store_id": stores[0].pk,
        "payload": {"channel": "store", "referrer_id": None},
        "status": "done",
    }
    rest = hq.get(f"/events?limit=2&after={body['next_after']}").json()
    assert [item["id"] for item in rest["items"]] == ids[2:]
    assert (rest["next_after"], rest["has_more"]) == (ids[2], False)
    again = hq.get(f"/events?after={rest['next_after']}").json()
    assert (again["items"], again["next_after"], again["has_more"]) == ([], ids[2], False)
    for item in body["items"] + rest["items"]:
        assert not set(item["payload"]) & PERSONAL_KEYS
        assert "张" not in str(item) and "138" not in str(item)


def test_filters_by_name_and_since(as_staff, members):
    hq = as_staff(Role.HQ_ADMIN)
    assert hq.get("/events?name=card.issued").json()["items"] == []
    assert len(hq.get("/events?name=member.registered").json()["items"]) == 3
    later = OutboxEvent.objects.order_by("id")[2]
    since = timezone.localtime(later.occurred_at).isoformat()
    assert len(hq.get("/events").json()["items"]) == 3
    found = hq.get(f"/events?since={since.replace('+', '%2B')}").json()["items"]
    assert [item["id"] for item in found] == [later.pk]


def test_unknown_names_and_bad_cursors_are_refused(as_staff, members):
    hq = as_staff(Role.HQ_ADMIN)
    for query in ("name=sale.paid", "after=-1", "after=1.5", "limit=0", "limit=501", "since=x"):
        response = hq.get(f"/events?{query}")
        assert response.status_code == 422, query
        assert error_of(response)["code"] == "invalid_request", query


def test_terminal_keys_carry_store_roles_and_may_not_read_the_feed(members, terminal, key_for):
    key = ApiClient(new_client(), {"X-API-Key": key_for(terminal, Role.STORE_MANAGER)})
    response = key.get("/events")
    assert response.status_code == 403
    assert error_of(response)["details"] == {"permission": "event.view"}


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.CASHIER, Role.MARKETER])
def test_other_roles_may_not_read_the_feed(as_staff, members, role):
    response = as_staff(role).get("/events")
    assert response.status_code == 403
    assert error_of(response)["details"] == {"permission": "event.view"}
