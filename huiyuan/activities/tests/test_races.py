"""Real threads on PostgreSQL: 100 members sign up at once for 10 seats."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection

from huiyuan.activities import services
from huiyuan.activities.models import Activity, Signup
from huiyuan.core.races import race
from huiyuan.ledger.tests.factories import balances, key
from huiyuan.ledger.verify import verify_ledger

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MEMBERS = 100
SEATS = 10


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are tested on PostgreSQL (SQLite serialises writers)")


def test_100_concurrent_signups_for_10_seats(cashier, owner, make_activity, card_with_money):
    activity = make_activity(capacity=SEATS, fee_fen=100)
    cards = [card_with_money(1000) for _ in range(MEMBERS)]

    def side(card_id: int):
        return lambda: (
            services.signup_create(
                actor=cashier, activity_id=activity.pk, card_id=card_id, idempotency_key=key()
            ).status
        )

    results = race(*(side(c.pk) for c in cards))
    assert Counter(results) == {"seated": SEATS, "waitlisted": MEMBERS - SEATS}
    activity.refresh_from_db()
    assert activity.seats_taken == SEATS
    assert Signup.objects.filter(status="seated").count() == SEATS
    assert sum(balances(c)["principal"] for c in cards) == MEMBERS * 900

    # Ten cancel at once while the activity is changed: ten from the waiting list move up,
    # in sign-up order, and the seats still hold.
    seated = list(Signup.objects.filter(status="seated").values_list("id", flat=True))
    first_waiting = list(
        Signup.objects.filter(status="waitlisted").order_by("id").values_list("id", flat=True)
    )[:SEATS]
    cancels = [
        (
            lambda pk=pk: (
                services.signup_cancel(actor=cashier, signup_id=pk, idempotency_key=key()).status
            )
        )
        for pk in seated
    ]
    assert Counter(race(*cancels)) == {"cancelled": SEATS}
    now_seated = set(Signup.objects.filter(status="seated").values_list("id", flat=True))
    assert now_seated == set(first_waiting)
    assert Activity.objects.get(pk=activity.pk).seats_taken == SEATS
    assert sum(balances(c)["principal"] for c in cards) == MEMBERS * 900 + SEATS * 100
    assert verify_ledger().ok


def test_a_spend_and_get_budget_is_never_exceeded(cashier, make_activity, card_with_money):
    import datetime as dt

    from django.utils import timezone

    from huiyuan.activities.models import RewardGrant
    from huiyuan.checkout.services import QuickSaleInput, sale_quick

    now = timezone.now()
    activity = make_activity(
        kind=Activity.Kind.PAYMENT,
        capacity=0,
        threshold_fen=1000,
        reward_kind="points",
        reward_points=10,
        budget=5,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(days=1),
    )
    cards = [card_with_money(0) for _ in range(20)]

    def side(card_id: int):
        return lambda: (
            sale_quick(
                actor=cashier,
                data=QuickSaleInput(amount_fen=2000, card_id=card_id, external_method="cash"),
                idempotency_key=key(),
            ).status
        )

    results = race(*(side(c.pk) for c in cards))
    assert Counter(results) == {"completed": 20}  # a spent budget never refuses a sale
    assert RewardGrant.objects.filter(activity=activity).count() == 5
    assert Activity.objects.get(pk=activity.pk).budget_used == 5
    assert sum(balances(c)["points"] for c in cards) == 50
