"""Bonus clawback on refund: cumulative per card, the same however a refund is split.

The rule (docs/money-rules.md): after each refund, the bonus clawed back so far on the card
equals round_half_up(bonus granted × principal refunded so far / principal recharged),
capped by the bonus still available. The reference model below is written from that text
with exact fractions; it shares no code with the implementation.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiyuan.cards.services import card_reissue
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.ledger.verify import verify_ledger
from huiyuan.wallet.models import Refund
from huiyuan.wallet.services import (
    recharge_package_create,
    wallet_policy_update,
    wallet_recharge,
    wallet_refund,
)

pytestmark = pytest.mark.django_db


@dataclass
class ClawbackModel:
    """The declared rule, read literally: totals over the card's life, exact fractions."""

    recharged: int = 0
    granted: int = 0
    refunded: int = 0
    clawed: int = 0

    def recharge(self, principal: int, bonus: int) -> None:
        self.recharged += principal
        self.granted += bonus

    def refund(self, amount: int, bonus_available: int) -> int:
        self.refunded += amount
        share = Fraction(self.granted * self.refunded, self.recharged)
        target = math.floor(share + Fraction(1, 2))  # round half up
        taken = min(max(target - self.clawed, 0), bonus_available)
        self.clawed += taken
        return taken


@pytest.fixture
def manager(actors):
    return actors[Role.STORE_MANAGER]


def recharge(cashier, owner, c, pay: int, bonus: int = 0) -> None:
    package_id = None
    if bonus:
        package_id = recharge_package_create(
            actor=owner, name=f"充{pay}送{bonus}", pay_fen=pay, bonus_fen=bonus
        ).pk
    wallet_recharge(
        actor=cashier,
        card_id=c.pk,
        amount_fen=pay,
        method="cash",
        package_id=package_id,
        idempotency_key=key(),
    )


def refund(manager, c, amount: int) -> int:
    done = wallet_refund(
        actor=manager,
        card_id=c.pk,
        amount_fen=amount,
        method="cash",
        reason="顾客申请",
        idempotency_key=key(),
    )
    return done.bonus_clawback_fen


def test_two_hundred_one_fen_refunds_claw_back_what_one_refund_of_200_does(owner, cashier, manager):
    """充10送5: the reported case. One refund of ¥2.00 takes back ¥1.00 of bonus; so do
    two hundred refunds of 1 fen (1, 0, 1, 0, …: the running total is rounded, not each)."""
    split, whole = card(cashier, owner), card(cashier, owner)
    for c in (split, whole):
        recharge(cashier, owner, c, 1000, 500)

    parts = [refund(manager, split, 1) for _ in range(200)]
    assert parts[:4] == [1, 0, 1, 0]
    assert sum(parts) == 100
    assert refund(manager, whole, 200) == 100

    assert balances(split) == balances(whole) == {"principal": 800, "bonus": 400, "points": 0}
    assert verify_ledger().problems == []


def test_exact_amounts_and_half_up_rounding(owner, cashier, manager):
    c = card(cashier, owner)
    recharge(cashier, owner, c, 50000, 5000)  # 充500送50
    assert refund(manager, c, 10000) == 1000
    assert refund(manager, c, 5) == 1  # 5000 × 10005 / 50000 = 1000.5 → 1001
    assert refund(manager, c, 5) == 0  # 1001.0: nothing more yet
    assert refund(manager, c, 39990) == 3999  # everything refunded: all 5000 back
    assert balances(c) == {"principal": 0, "bonus": 0, "points": 0}
    assert list(
        Refund.objects.filter(card=c).order_by("pk").values_list("bonus_clawback_fen", flat=True)
    ) == [1000, 1, 0, 3999]


def test_bonus_from_every_recharge_counts(owner, cashier, manager):
    """Totals cover the card's whole life: a plain recharge dilutes the share."""
    c = card(cashier, owner)
    recharge(cashier, owner, c, 50000, 5000)
    recharge(cashier, owner, c, 50000)  # no bonus
    # 5000 × 30000 / 100000 = 1500
    assert refund(manager, c, 30000) == 1500
    assert balances(c) == {"principal": 70000, "bonus": 3500, "points": 0}


def test_clawback_is_capped_by_the_bonus_still_available(owner, cashier, manager):
    """Bonus already spent is not taken twice; the shortfall is taken later if bonus remains."""
    wallet_policy_update(actor=owner, spend_order="bonus_first")
    c = card(cashier, owner)
    recharge(cashier, owner, c, 10000, 1000)
    sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=800, card_id=c.pk, balance_fen=800),
        idempotency_key=key(),
    )
    assert balances(c)["bonus"] == 200
    # Target 1000 × 5000 / 10000 = 500, but only 200 of bonus is left.
    assert refund(manager, c, 5000) == 200
    assert balances(c) == {"principal": 5000, "bonus": 0, "points": 0}
    recharge(cashier, owner, c, 10000, 1000)
    # Now granted 2000 of 20000, refunded 6000: target 600, clawed 200 → 400.
    assert refund(manager, c, 1000) == 400
    assert balances(c) == {"principal": 14000, "bonus": 600, "points": 0}
    assert verify_ledger().problems == []


def test_a_refused_refund_changes_no_total(owner, cashier, manager):
    from huiyuan.core.errors import Conflict

    c = card(cashier, owner)
    recharge(cashier, owner, c, 1000, 500)
    with pytest.raises(Conflict) as refused:
        refund(manager, c, 1001)
    assert refused.value.code == "insufficient_principal"
    assert Refund.objects.filter(card=c).count() == 0
    assert balances(c) == {"principal": 1000, "bonus": 500, "points": 0}
    assert refund(manager, c, 1) == 1  # 500 × 1 / 1000 = 0.5 → 1: the refusal counted nothing


def test_totals_follow_the_money_to_a_reissued_card(owner, cashier, manager):
    """补卡 moves the balances to a new card: what was recharged and refunded on the old card
    still counts on the new one."""
    old = card(cashier, owner)
    recharge(cashier, owner, old, 1000, 500)
    assert refund(manager, old, 1) == 1
    new = card_reissue(actor=cashier, card_id=old.pk, idempotency_key=key(), reason="补卡")
    newer = card_reissue(actor=cashier, card_id=new.pk, idempotency_key=key(), reason="又补")
    # Refunded 2 of 1000 in all: target round(1.0) = 1, already 1 → 0 (a fresh card would say 1).
    assert refund(manager, newer, 1) == 0
    assert refund(manager, newer, 998) == 499
    assert balances(newer) == {"principal": 0, "bonus": 0, "points": 0}
    assert verify_ledger().problems == []


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    recharges=st.lists(
        st.tuples(st.integers(1, 100_000), st.integers(0, 30_000)), min_size=1, max_size=3
    ),
    before_pct=st.integers(0, 60),
    data=st.data(),
)
def test_any_split_of_a_refund_claws_back_what_one_refund_of_the_sum_does(
    owner, cashier, manager, recharges, before_pct, data
):
    whole, split = card(cashier, owner), card(cashier, owner)
    model_whole, model_split = ClawbackModel(), ClawbackModel()
    for pay, bonus in recharges:
        for c, model in ((whole, model_whole), (split, model_split)):
            recharge(cashier, owner, c, pay, bonus)
            model.recharge(pay, bonus)
    principal = sum(pay for pay, _bonus in recharges)
    # An earlier refund on both cards, so the running totals do not start at zero.
    earlier = principal * before_pct // 100
    if earlier:
        for c, model in ((whole, model_whole), (split, model_split)):
            available = balances(c)["bonus"]
            assert refund(manager, c, earlier) == model.refund(earlier, available)
    total = data.draw(st.integers(1, principal - earlier), label="refund")
    cuts = data.draw(
        st.lists(st.integers(1, total - 1), max_size=6, unique=True) if total > 1 else st.just([]),
        label="cuts",
    )
    bounds = [0, *sorted(cuts), total]
    parts = [b - a for a, b in itertools.pairwise(bounds)]

    available = balances(whole)["bonus"]
    one = refund(manager, whole, total)
    assert one == model_whole.refund(total, available)
    taken = []
    for part in parts:
        available = balances(split)["bonus"]
        taken.append(refund(manager, split, part))
        assert taken[-1] == model_split.refund(part, available), (parts, taken)
    assert sum(taken) == one
    assert balances(split) == balances(whole)
