"""Real threads on PostgreSQL: the same payment notified many times at once is booked once."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest
from django.db import connection

from huiyuan.core.races import race
from huiyuan.ledger.tests.factories import balances
from huiyuan.payments.models import OnlineOrder, PaymentNotification, SandboxCharge
from huiyuan.payments.providers.base import Incoming
from huiyuan.payments.providers.sandbox import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from huiyuan.payments.services.notifications import notification_receive
from huiyuan.payments.services.orders import online_order_create
from huiyuan.wallet.models import Recharge

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are tested on PostgreSQL (SQLite serialises writers)")


def test_ten_copies_of_one_notification_at_once_raise_the_balance_once(member_card, me):
    order = online_order_create(
        actor=me,
        card_id=member_card.pk,
        amount_fen=20_000,
        provider="sandbox",
        notify_base_url="http://x",
    )
    charge = SandboxCharge.objects.get(order_number=order.number)
    body = json.dumps(
        {
            "order_number": order.number,
            "trade_no": charge.trade_no,
            "amount_fen": 20_000,
            "status": "SUCCESS",
        }
    ).encode()
    ts = str(int(time.time()))
    headers = {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(ts, body, b"sandbox-test-key")}
    sides = [
        (
            lambda: (
                notification_receive(
                    provider="sandbox", incoming=Incoming(headers=headers, body=body)
                ).outcome
            )
        )
        for _ in range(10)
    ]
    outcome = Counter(race(*sides))
    assert outcome == {"accepted": 1, "repeated": 9}, outcome
    assert balances(member_card)["principal"] == 20_000
    assert Recharge.objects.filter(card=member_card).count() == 1
    assert OnlineOrder.objects.get().status == "paid"
    assert PaymentNotification.objects.count() == 10
