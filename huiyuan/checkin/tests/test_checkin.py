"""Daily check-in: once per local day, points by streak, through the ledger."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiyuan.checkin import rules, selectors, services
from huiyuan.checkin.models import Checkin
from huiyuan.core.errors import DomainError
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.ledger.verify import verify_ledger
from huiyuan.members import services as member_services

UTC = dt.UTC


def at(moment: dt.datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.mark.django_db
def test_twice_in_a_day_earns_once(cashier, owner):
    c = card(cashier, owner)
    first = services.checkin_record(actor=cashier, card_id=c.pk, idempotency_key=key())
    assert (first.streak, first.points) == (1, 5)
    with pytest.raises(DomainError) as exc:
        services.checkin_record(actor=cashier, card_id=c.pk, idempotency_key=key())
    assert exc.value.code == "already_checked_in"
    assert balances(c)["points"] == 5
    assert Checkin.objects.count() == 1
    assert verify_ledger().ok


@pytest.mark.django_db
def test_0730_shanghai_is_the_next_local_day(cashier, owner):
    c = card(cashier, owner)
    # 2026-11-10 09:00 Shanghai, then 2026-11-11 07:30 Shanghai (= 11-10 23:30 UTC).
    with at(dt.datetime(2026, 11, 10, 1, 0, tzinfo=UTC)):
        a = services.checkin_record(actor=cashier, card_id=c.pk, idempotency_key=key())
    with at(dt.datetime(2026, 11, 10, 23, 30, tzinfo=UTC)):
        b = services.checkin_record(actor=cashier, card_id=c.pk, idempotency_key=key())
    assert (a.business_date, b.business_date) == (dt.date(2026, 11, 10), dt.date(2026, 11, 11))
    assert b.streak == 2
    # Same local day (11-11 20:00 Shanghai): refused.
    with at(dt.datetime(2026, 11, 11, 12, 0, tzinfo=UTC)), pytest.raises(DomainError):
        services.checkin_record(actor=cashier, card_id=c.pk, idempotency_key=key())
    assert balances(c)["points"] == 10


@pytest.mark.django_db
def test_streak_grows_pays_day_seven_and_resets_after_a_missed_day(cashier, owner):
    c = card(cashier, owner)
    start = dt.datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    earned = []
    for day in [*range(0, 8), 9]:  # days 1–8 in a row, then a day missed
        with at(start + dt.timedelta(days=day)):
            earned.append(
                services.checkin_record(actor=cashier, card_id=c.pk, idempotency_key=key())
            )
    assert [e.streak for e in earned] == [1, 2, 3, 4, 5, 6, 7, 8, 1]
    assert [e.points for e in earned] == [5, 5, 5, 5, 5, 5, 30, 5, 5]
    assert balances(c)["points"] == sum(e.points for e in earned)
    assert verify_ledger().ok


@pytest.mark.django_db
def test_policy_update_and_refusals_change_nothing(cashier, owner):
    services.checkin_policy_update(
        actor=owner, enabled=True, rewards=[[1, 2], [3, 10]], cycle_days=None
    )
    c = card(cashier, owner)
    member_services.member_freeze(
        actor=owner, member_id=c.member_id, earning=True, spending=False, reason="x"
    )
    with pytest.raises(DomainError) as exc:
        services.checkin_record(actor=cashier, card_id=c.pk, idempotency_key=key())
    assert exc.value.code == "member_earn_frozen"
    assert balances(c)["points"] == 0 and Checkin.objects.count() == 0
    with pytest.raises(DomainError) as exc:
        services.checkin_policy_update(actor=owner, enabled=True, rewards=[[2, 5]], cycle_days=None)
    assert exc.value.code == "rewards_need_day_one"
    with pytest.raises(DomainError) as exc:
        services.checkin_policy_update(
            actor=cashier, enabled=False, rewards=[[1, 1]], cycle_days=None
        )
    assert exc.value.code == "permission_denied"


@pytest.mark.django_db
def test_selector_tells_the_streak(cashier, owner):
    c = card(cashier, owner)
    services.checkin_record(actor=cashier, card_id=c.pk, idempotency_key=key())
    s = selectors.member_streak(c.member_id)
    assert (s.checked_in_today, s.current, s.next_points) == (True, 1, 5)


def test_next_streak_rules():
    d = dt.date(2026, 1, 31)
    assert rules.next_streak(None, 0, d) == 1
    assert rules.next_streak(d - dt.timedelta(days=1), 4, d) == 5
    assert rules.next_streak(d - dt.timedelta(days=2), 4, d) == 1


@given(
    streak=st.integers(min_value=1, max_value=1000),
    table=st.dictionaries(
        st.integers(min_value=1, max_value=30), st.integers(min_value=0, max_value=99), min_size=1
    ),
    cycle=st.one_of(st.none(), st.integers(min_value=1, max_value=30)),
)
def test_points_are_the_last_entry_at_or_before_the_position(streak, table, cycle):
    got = rules.points_for(streak, [[d, p] for d, p in table.items()], cycle)
    pos = (streak - 1) % cycle + 1 if cycle else streak
    assert 1 <= pos <= (cycle or streak)
    eligible = [d for d in table if d <= pos]
    assert got == (table[max(eligible)] if eligible else 0)
