"""Reads of the outbox: store scope and the permission."""

from __future__ import annotations

import pytest
from django.db import transaction

from huiyuan.core.errors import PermissionDenied
from huiyuan.core.permissions import Actor, Role
from huiyuan.events.selectors import EventFilters, event_feed, event_list
from huiyuan.events.services import event_emit

pytestmark = pytest.mark.django_db


def test_a_store_scoped_reader_sees_its_own_stores_events(owner, stores):
    with transaction.atomic():
        for store in stores:
            event_emit(
                "member.registered",
                payload={"channel": "store", "referrer_id": None},
                store_id=store.pk,
            )
        event_emit(
            "tier.changed", payload={"from_tier_id": None, "to_tier_id": 1, "kind": "manual"}
        )
    scoped = Actor(role=Role.HQ_ADMIN, store_ids=frozenset({stores[1].pk}))
    assert [e.store_id for e in event_list(actor=scoped)] == [stores[1].pk]
    assert [e.store_id for e in event_feed(actor=scoped, filters=EventFilters())] == [stores[1].pk]
    assert [e.store_id for e in event_list(actor=owner)] == [None, stores[1].pk, stores[0].pk]
    assert [e.store_id for e in event_feed(actor=owner, filters=EventFilters(), after=0)] == [
        stores[0].pk,
        stores[1].pk,
        None,
    ]


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.CASHIER, Role.MARKETER])
def test_only_head_office_reads_events(role):
    with pytest.raises(PermissionDenied) as refused:
        event_list(actor=Actor(role=role))
    assert refused.value.details == {"permission": "event.view"}
