"""Real threads on PostgreSQL: the last coupon of a referral reward goes to one referrer
only, and released commission is paid out once however many payouts race."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import connection

from huiyuan.core.permissions import Role
from huiyuan.core.races import race
from huiyuan.coupons.models import Coupon
from huiyuan.events.dispatch import events_dispatch
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.ledger.verify import verify_ledger
from huiyuan.referrals import payouts, services
from huiyuan.referrals.models import ReferralCommission, ReferralPayout, ReferralReward
from huiyuan.referrals.tests.conftest import join
from huiyuan.referrals.tests.test_coupon_rewards import make_template, set_policy

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are tested on PostgreSQL (SQLite serialises writers)")


def test_two_first_purchases_race_for_the_last_coupon(owner, cashier, policy, sell):
    # Two referrers, each with a referee who buys; no first-purchase reward yet.
    set_policy(owner, join_points=0, first_purchase_points=0)
    referees = []
    for name in ("甲", "乙"):
        referrer = join(cashier, name, None)
        card(cashier, owner, holder=referrer)
        referee = join(cashier, name + "友", referrer)
        sell(card(cashier, owner, holder=referee))
        referees.append(referee)
    events_dispatch()
    assert ReferralReward.objects.count() == 0
    template = make_template(owner, stock=1)
    set_policy(
        owner,
        join_points=0,
        first_purchase_points=50,
        first_purchase_coupon_template_id=template.pk,
    )
    now = dt.datetime.now(dt.UTC)
    results = race(
        *[
            (
                lambda r=r: services.reward_referrer(
                    referee_id=r.pk, kind=ReferralReward.Kind.FIRST_PURCHASE, now=now
                )
            )
            for r in referees
        ]
    )
    assert not [r for r in results if isinstance(r, str)], results
    rows = list(ReferralReward.objects.filter(kind="first_purchase"))
    assert len(rows) == 2
    assert sorted(r.coupon_refusal for r in rows) == ["", "coupon_out_of_stock"]
    assert [r.points for r in rows] == [50, 50]
    template.refresh_from_db()
    assert template.issued_count == 1
    assert Coupon.objects.filter(template=template).count() == 1
    # Redelivered (both again, at once): nothing more.
    race(
        *[
            (
                lambda r=r: services.reward_referrer(
                    referee_id=r.pk, kind=ReferralReward.Kind.FIRST_PURCHASE, now=now
                )
            )
            for r in referees
        ]
    )
    assert ReferralReward.objects.filter(kind="first_purchase").count() == 2
    assert Coupon.objects.filter(template=template).count() == 1
    assert verify_ledger().ok


def test_two_concurrent_payouts_of_the_same_commission_pay_once(chain, sell, actors):
    manager = actors[Role.STORE_MANAGER]
    sale = sell(chain.cards[3], quantity=2)  # ¥200: 丙 ¥10.00
    events_dispatch()
    row = ReferralCommission.objects.filter(sale_id=sale.pk, level=1).get()
    services.commissions_release_run(now=dt.datetime.combine(row.release_on, dt.time(12), dt.UTC))
    member = chain.members[2].pk
    bonus_before = balances(chain.cards[2])["bonus"]
    results = race(
        *[
            (
                lambda: payouts.commission_payout(
                    actor=manager, member_id=member, expected_fen=1000, idempotency_key=key()
                )
            )
            for _ in range(2)
        ]
    )
    kinds = Counter("paid" if isinstance(r, ReferralPayout) else r for r in results)
    assert kinds == Counter({"paid": 1, "nothing_to_pay": 1}), results
    assert ReferralPayout.objects.count() == 1
    assert balances(chain.cards[2])["bonus"] == bonus_before + 1000
    # The same key from two tills at once: one payout, both get it.
    later = sell(chain.cards[3])
    events_dispatch()
    services.commissions_release_run(
        now=dt.datetime.combine(
            ReferralCommission.objects.filter(sale_id=later.pk, level=1).get().release_on,
            dt.time(12),
            dt.UTC,
        )
    )
    shared = key()
    twins = race(
        *[
            (
                lambda: payouts.commission_payout(
                    actor=manager, member_id=member, expected_fen=500, idempotency_key=shared
                )
            )
            for _ in range(2)
        ]
    )
    assert all(isinstance(t, ReferralPayout) for t in twins), twins
    assert twins[0].pk == twins[1].pk  # type: ignore[union-attr]
    assert ReferralPayout.objects.count() == 2
    assert balances(chain.cards[2])["bonus"] == bonus_before + 1500
    assert verify_ledger().ok
