"""Earning through the services: local business dates, the daily cap per member, publishing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.errors import ValidationFailed
from huiyuan.ledger.tests.factories import card, default_rule, key, member
from huiyuan.points.models import EarnRule, PointsPolicy
from huiyuan.points.rules import EarnContext
from huiyuan.points.services import (
    earn_rule_publish,
    points_dry_run,
    points_earned_today,
    points_expires_at,
)

UTC = dt.UTC
# 07:30 on 11-11 in Shanghai is 23:30 on 11-10 in UTC.
MORNING_1111 = dt.datetime(2026, 11, 10, 23, 30, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """Set the service's now: ``clock(moment)``."""

    def set_now(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_now


def buy(cashier, card_id: int, amount_fen: int = 10_000):
    return sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=amount_fen, card_id=card_id, external_method="cash"),
        idempotency_key=key(),
    )


# ----------------------------------------------------------------- business dates


def test_sale_at_0730_shanghai_on_double_eleven_earns_double_and_the_dry_run_agrees(
    clock, owner, cashier
):
    clock(MORNING_1111 - dt.timedelta(days=30))
    default_rule(
        owner, special_days=[{"date": "2026-11-11", "multiplier_pct": 200, "label": "双十一"}]
    )
    c = card(cashier, owner)
    clock(MORNING_1111)
    sale = buy(cashier, c.pk)
    assert sale.points_earned == 200
    assert {"code": "special_day", "day": "2026-11-11", "label": "双十一", "pct": 200} in (
        sale.earn_explanation["steps"]
    )
    dry = points_dry_run(
        actor=owner, context=EarnContext(amount_fen=10_000, at=MORNING_1111, store_id=None)
    )
    assert dry.points == 200
    # The evening before in Shanghai (15:59 UTC on 11-10) is still single points.
    clock(dt.datetime(2026, 11, 10, 15, 59, tzinfo=UTC))
    assert buy(cashier, c.pk).points_earned == 100


def test_daily_cap_counts_the_local_day(clock, owner, cashier):
    clock(MORNING_1111 - dt.timedelta(days=1))
    default_rule(owner, cap_per_day=150)
    c = card(cashier, owner)
    clock(dt.datetime(2026, 11, 10, 15, 0, tzinfo=UTC))  # 23:00 on 11-10 in Shanghai
    assert buy(cashier, c.pk).points_earned == 100
    clock(MORNING_1111)  # 07:30 on 11-11: a new day, though still 11-10 in UTC
    assert buy(cashier, c.pk).points_earned == 100
    clock(MORNING_1111 + dt.timedelta(hours=1))
    assert buy(cashier, c.pk).points_earned == 50


def test_points_expire_at_the_local_period_end(owner):
    policy = PointsPolicy.current()
    policy.expiry, policy.expiry_days = PointsPolicy.Expiry.MONTH_END, 1
    # Earned at 07:30 on 01-31 in Shanghai (23:30 on 01-30 UTC): due 02-01, so end of February.
    earned = dt.datetime(2026, 1, 30, 23, 30, tzinfo=UTC)
    march_1st = dt.datetime(2026, 3, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert points_expires_at(earned, policy) == march_1st
    with timezone.override("UTC"):  # the reader's zone does not move a business date
        assert points_expires_at(earned, policy) == march_1st
    policy.expiry = PointsPolicy.Expiry.QUARTER_END
    assert points_expires_at(earned, policy) == march_1st.replace(month=4)
    policy.expiry = PointsPolicy.Expiry.YEAR_END
    assert points_expires_at(earned, policy) == march_1st.replace(year=2027, month=1)


def test_points_after_days_last_to_the_end_of_the_local_day(owner):
    policy = PointsPolicy.current()
    policy.expiry, policy.expiry_days = PointsPolicy.Expiry.DAYS, 1
    # Earned on 11-11 (local): valid through 11-12, gone at local midnight starting 11-13.
    assert points_expires_at(MORNING_1111, policy) == dt.datetime(2026, 11, 12, 16, 0, tzinfo=UTC)
    policy.expiry = PointsPolicy.Expiry.NEVER
    assert points_expires_at(MORNING_1111, policy) is None


# ------------------------------------------------------------ daily cap per member


def test_daily_cap_is_per_member_across_their_cards(owner, cashier):
    default_rule(owner, cap_per_day=150)
    holder = member(cashier)
    first = card(cashier, owner, holder=holder)
    second = card(cashier, owner, holder=holder)
    someone_else = card(cashier, owner)
    assert buy(cashier, first.pk).points_earned == 100
    sale = buy(cashier, second.pk)
    assert sale.points_earned == 50
    assert sale.earn_explanation["steps"][-1] == {
        "code": "cap_per_day",
        "cap": 150,
        "earned_today": 100,
        "room": 50,
    }
    assert buy(cashier, someone_else.pk).points_earned == 100


def test_points_earned_today_is_one_query(owner, cashier):
    default_rule(owner)
    holder = member(cashier)
    first = card(cashier, owner, holder=holder)
    second = card(cashier, owner, holder=holder)
    buy(cashier, first.pk, 12_345)
    buy(cashier, second.pk, 5_000)
    with CaptureQueriesContext(connection) as queries:
        earned = points_earned_today(card=second, at=timezone.now())
    assert (earned, len(queries)) == (173, 1)


# ---------------------------------------------------------------- publishing rules


def test_publishing_with_a_past_start_is_refused_and_changes_nothing(owner):
    default_rule(owner)
    before = list(EarnRule.objects.values())
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as err:
        earn_rule_publish(
            actor=owner,
            code="base",
            effective_from=timezone.now() - dt.timedelta(seconds=1),
            points_per_unit=2,
        )
    assert err.value.code == "effective_from_in_past"
    assert str(err.value) == "规则不能从过去开始生效：请选择现在或以后的时间。"
    with pytest.raises(ValidationFailed) as err:
        earn_rule_publish(
            actor=owner,
            code="new",
            name="新规则",
            effective_from=timezone.now() - dt.timedelta(days=3),
        )
    assert err.value.code == "effective_from_in_past"
    assert list(EarnRule.objects.values()) == before
    assert AuditEvent.objects.count() == events


def test_a_new_version_starts_now_or_later_and_ends_the_previous_one_then(clock, owner):
    start = dt.datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    clock(start)
    v1 = earn_rule_publish(actor=owner, code="base", name="每1元1分", unit_fen=100)
    assert v1.effective_from == start
    later = start + dt.timedelta(days=3)
    v2 = earn_rule_publish(actor=owner, code="base", effective_from=later, points_per_unit=2)
    v1.refresh_from_db()
    assert (v1.effective_to, v2.effective_from, v2.points_per_unit) == (later, later, 2)
    # A version cannot slip in before one already scheduled.
    clock(start + dt.timedelta(hours=1))
    with pytest.raises(ValidationFailed) as err:
        earn_rule_publish(actor=owner, code="base", points_per_unit=3)
    assert err.value.code == "invalid_effective_from"
    assert EarnRule.objects.count() == 2
