"""Portal activities: a member sees the open activities, signs up (the fee from their
stored value), sees it in "my sign-ups", cancels by the refund rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from huiyuan.activities import services
from huiyuan.activities.models import Signup
from huiyuan.ledger.tests.factories import balances, key
from huiyuan.wallet.services import wallet_recharge

from .conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(owner):
    starts = timezone.now() + dt.timedelta(days=2)
    row = services.activity_create(
        actor=owner,
        data=services.ActivityInput(
            code="TEA",
            name="茶艺体验",
            kind="signup",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            capacity=1,
            fee_fen=1500,
            location="旗舰店",
        ),
    )
    return services.activity_publish(actor=owner, activity_id=row.pk)


def test_member_signs_up_and_cancels(member_client, activity, cashier):
    client, _member, card = member_client
    wallet_recharge(
        actor=cashier, card_id=card.pk, amount_fen=5000, method="cash", idempotency_key=key()
    )
    page = client.get("/m/activities/").content.decode()
    assert "茶艺体验" in page
    detail = client.get(f"/m/activities/{activity.pk}/")
    assert detail.status_code == 200 and "¥15.00" in detail.content.decode()
    response = client.post(f"/m/activities/{activity.pk}/signup/", {"key": "k1"})
    assert response.status_code == 302
    signup = Signup.objects.get()
    assert (signup.status, signup.channel, balances(card)["principal"]) == (
        "seated",
        "portal",
        3500,
    )
    client.post(f"/m/activities/{activity.pk}/signup/", {"key": "k1"})  # a double tap
    assert Signup.objects.count() == 1 and balances(card)["principal"] == 3500
    assert "我的报名" in client.get("/m/activities/").content.decode()
    client.post(f"/m/activities/signups/{signup.pk}/cancel/")
    signup.refresh_from_db()
    assert (signup.status, balances(card)["principal"]) == ("cancelled", 5000)


def test_another_members_signup_is_404(member_client, member_with_card, activity, cashier):
    client, _member, _card = member_client
    other, other_card = member_with_card("李四")
    wallet_recharge(
        actor=cashier, card_id=other_card.pk, amount_fen=5000, method="cash", idempotency_key=key()
    )
    row = services.signup_create(
        actor=cashier, activity_id=activity.pk, card_id=other_card.pk, idempotency_key=key()
    )
    assert client.post(f"/m/activities/signups/{row.pk}/cancel/").status_code == 404
    row.refresh_from_db()
    assert row.status == "seated"
    assert sign_in(Client(), other).get(f"/m/activities/{activity.pk}/").status_code == 200
