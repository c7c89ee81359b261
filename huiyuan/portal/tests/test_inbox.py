"""The member's inbox in the portal: the care app's inbox channel lands here."""

from __future__ import annotations

import pytest
from django.test import Client

from huiyuan.care import sending
from huiyuan.care.models import InboxMessage

pytestmark = pytest.mark.django_db


def test_inbox_shows_own_messages_and_marks_them_read(member_client, member_with_card):
    client, me, _card = member_client
    other, _ = member_with_card(name="别人")
    sending.delivery_queue(
        template="points_change",
        channel="inbox",
        to=str(me.pk),
        member_id=me.pk,
        context={"name": me.name, "amount": "+50", "points": 50},
    )
    sending.delivery_queue(
        template="points_change",
        channel="inbox",
        to=str(other.pk),
        member_id=other.pk,
        context={"name": "别人", "amount": "+1", "points": 1},
    )
    page = client.get("/m/inbox/").content.decode()
    assert "积分变动通知" in page and f"{me.name}您好，您的积分变动+50，当前积分50。" in page
    assert "别人您好" not in page
    assert 'class="ib-dot"' in page
    assert InboxMessage.objects.get(member=me).read_at is not None
    assert 'class="ib-dot"' not in client.get("/m/inbox/").content.decode()
    assert "/m/inbox/" in client.get("/m/me/").content.decode()


def test_inbox_needs_a_signed_in_member():
    response = Client().get("/m/inbox/")
    assert response.status_code == 302 and "/m/signin/" in response["Location"]
