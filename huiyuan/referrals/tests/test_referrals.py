"""Referrals: the code resolves, rewards are given once per referee, commission reaches
at most the policy's levels (never more than 3), is held, and a return reverses it."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.checkout.models import SaleLine
from huiyuan.checkout.services import sale_return, sale_reverse
from huiyuan.core.errors import DomainError
from huiyuan.events.dispatch import events_dispatch
from huiyuan.ledger.tests.factories import balances, key
from huiyuan.referrals import rules, services
from huiyuan.referrals.models import ReferralCommission, ReferralPolicy, ReferralReward


def credits(sale_id: int) -> list[tuple[int, str, int]]:
    return list(
        ReferralCommission.objects.filter(sale_id=sale_id, reverses__isnull=True)
        .order_by("level")
        .values_list("level", "beneficiary__name", "amount_fen")
    )


def test_the_code_names_an_active_member(chain):
    assert services.referrer_for_code(chain.members[0].code) == chain.members[0]
    assert services.referrer_for_code("nobody") is None
    assert services.referrer_for_code("") is None
    assert chain.members[1].referrer_id == chain.members[0].pk


def test_the_referrer_is_rewarded_once_for_a_join(chain):
    events_dispatch()
    events_dispatch()  # a second dispatcher finds nothing left to do
    rewards = ReferralReward.objects.filter(kind="join").order_by("referee_id")
    assert [(r.referrer.name, r.referee.name, r.points) for r in rewards] == [
        ("甲", "乙", 100),
        ("乙", "丙", 100),
        ("丙", "丁", 100),
    ]
    assert balances(chain.cards[0])["points"] == 100
    # Asked again (a replayed event): nothing more.
    again = services.reward_referrer(
        referee_id=chain.members[1].pk, kind="join", now=dt.datetime.now(dt.UTC)
    )
    assert again is None
    assert ReferralReward.objects.filter(kind="join").count() == 3
    assert balances(chain.cards[0])["points"] == 100


def test_first_purchase_rewards_once_and_commission_stops_at_two_levels(chain, sell):
    events_dispatch()
    first = sell(chain.cards[3])  # 丁 buys ¥100 cash
    second = sell(chain.cards[3])
    events_dispatch()
    assert ReferralReward.objects.filter(kind="first_purchase").count() == 1
    reward = ReferralReward.objects.get(kind="first_purchase")
    assert (reward.referrer.name, reward.sale_id) == ("丙", first.pk)
    # Level 1 丙 5% of ¥100, level 2 乙 2%; 甲 (level 3) gets nothing at 2 levels.
    assert credits(first.pk) == [(1, "丙", 500), (2, "乙", 200)]
    assert credits(second.pk) == [(1, "丙", 500), (2, "乙", 200)]
    row = ReferralCommission.objects.filter(sale_id=first.pk).first()
    assert row.status == "held"
    assert (row.release_on - row.created_at.date()).days in (7, 8)


def test_three_levels_reach_the_third_and_never_more(chain, sell, owner):
    policy = ReferralPolicy.current()
    services.policy_update(
        actor=owner,
        data=services.PolicyInput(
            join_points=0, levels=3, level1_bp=500, level2_bp=200, level3_bp=100
        ),
    )
    assert services.policy_warnings(ReferralPolicy.current())  # the pyramid-selling warning
    sale = sell(chain.cards[3])
    events_dispatch()
    assert credits(sale.pk) == [(1, "丙", 500), (2, "乙", 200), (3, "甲", 100)]
    before = ReferralPolicy.current().levels
    with pytest.raises(DomainError) as refused:
        services.policy_update(actor=owner, data=services.PolicyInput(levels=4, level1_bp=500))
    assert refused.value.code == "too_many_levels"
    assert ReferralPolicy.current().levels == before == 3
    assert policy.pk == ReferralPolicy.current().pk
    assert rules.capped_levels(9) == 3
    assert len(services.upline(chain.members[3].pk, 9)) == 3


def test_a_return_reverses_in_proportion_and_a_reversal_reverses_the_rest(chain, sell, actors):
    from huiyuan.core.permissions import Role

    manager = actors[Role.STORE_MANAGER]
    sale = sell(chain.cards[3], quantity=3)  # ¥300: 丙 ¥15.00, 乙 ¥6.00
    events_dispatch()
    assert credits(sale.pk) == [(1, "丙", 1500), (2, "乙", 600)]
    line = SaleLine.objects.get(sale=sale)
    sale_return(
        actor=manager,
        sale_id=sale.pk,
        lines=[(line.pk, 1000)],
        reason="退一件",
        idempotency_key=key(),
    )
    events_dispatch()
    events_dispatch()
    reversals = ReferralCommission.objects.filter(sale_id=sale.pk, reverses__isnull=False)
    # ¥100 of ¥300 came back: a third of each credit.
    assert sorted(reversals.values_list("level", "amount_fen")) == [(1, -500), (2, -200)]
    sale_return(
        actor=manager,
        sale_id=sale.pk,
        lines=[(line.pk, 2000)],
        reason="全退",
        idempotency_key=key(),
    )
    events_dispatch()
    assert net_of(sale.pk) == {1: 0, 2: 0}
    other = sell(chain.cards[3])
    events_dispatch()
    sale_reverse(actor=manager, sale_id=other.pk, reason="整单冲正", idempotency_key=key())
    events_dispatch()
    assert net_of(other.pk) == {1: 0, 2: 0}
    assert credits(other.pk) == [(1, "丙", 500), (2, "乙", 200)]


def net_of(sale_id: int) -> dict[int, int]:
    return {
        level: sum(
            ReferralCommission.objects.filter(sale_id=sale_id, level=level).values_list(
                "amount_fen", flat=True
            )
        )
        for level in (1, 2)
    }


def test_bonus_and_points_are_not_commissioned():
    assert rules.commission(0, 500) == 0
    assert rules.commission(9999, 500) == 499  # 499.95 rounded down
    assert (
        rules.reversal_due(
            credit_fen=499, base_fen=9999, returned_total_fen=3333, reversed_before_fen=0
        )
        == 166
    )


def test_release_after_the_window_once(chain, sell):
    sale = sell(chain.cards[3])
    events_dispatch()
    row = ReferralCommission.objects.filter(sale_id=sale.pk).first()
    early = dt.datetime.combine(row.release_on - dt.timedelta(days=1), dt.time(12), dt.UTC)
    assert services.commissions_release_run(now=early) == {"released": 0}
    late = dt.datetime.combine(row.release_on, dt.time(12), dt.UTC)
    assert services.commissions_release_run(now=late) == {"released": 2}
    assert services.commissions_release_run(now=late) == {"released": 0}
    summary = services.member_summary(chain.members[2])
    assert (summary["released_fen"], summary["held_fen"], summary["referees"]) == (500, 0, 1)
