"""Random sequences of money operations checked against a simple reference model.

The model keeps principal as a number and bonus/points as lists of lots consumed first in,
first out (every lot here has the same expiry policy, so oldest expiry = oldest lot).

Points earned are checked against ``expected_earn``, a model of the earn rule written from
the rule as a shop states it (below), not from the engine's code: exact fractions, one
rounding down at the end, caps after it, days on the Shanghai calendar. The clock is the
test's: it starts at 07:30 on 11-11 in Shanghai (23:30 on 11-10 in UTC) and moves on by
hours, so sales fall on the member's birthday, on 双十一, on a Thursday and on plain days.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from huiyuan.cards.services import card_reissue
from huiyuan.checkout.models import Sale
from huiyuan.checkout.services import QuickSaleInput, sale_quick, sale_reverse
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Role
from huiyuan.ledger.models import Account, Lot
from huiyuan.ledger.tests.factories import card, key
from huiyuan.ledger.verify import verify_ledger
from huiyuan.members.services import MemberInput, member_register
from huiyuan.points.services import earn_rule_publish, lots_expire_due, points_adjust
from huiyuan.tiers.services import tier_create
from huiyuan.wallet.services import (
    recharge_package_create,
    wallet_policy_update,
    wallet_recharge,
    wallet_refund,
)

# The earn rule under test, as the shop writes it down:
#   每消费 ¥1 积 1 分，不足 ¥1 的部分不积分（按实付：储值本金和现金，不含赠送金和积分抵扣）；
#   银卡 ×103%；会员生日（11 月 11 日）×110%；双十一（2026-11-11）×120%，每周四 ×105%；
#   倍数相乘，最后一次向下取整；每笔最多 500 分；每位会员每天（上海时间）最多 900 分。
START = dt.datetime(2026, 11, 10, 23, 30, tzinfo=dt.UTC)  # 07:30 on 11-11 in Shanghai
SHANGHAI = dt.timezone(dt.timedelta(hours=8))  # no daylight saving there
BIRTHDAY = dt.date(1990, 11, 11)
CAP_PER_SALE, CAP_PER_DAY = 500, 900


def shanghai_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(SHANGHAI).date()


def expected_earn(paid_fen: int, day: dt.date, earned_today: int) -> int:
    """Points for ``paid_fen`` paid on the Shanghai date ``day``, by the rule above."""
    points = Fraction(paid_fen // 100)  # whole yuan only
    points *= Fraction(103, 100)  # silver
    if (day.month, day.day) == (BIRTHDAY.month, BIRTHDAY.day):
        points *= Fraction(110, 100)
    if day == dt.date(2026, 11, 11):
        points *= Fraction(120, 100)
    elif day.isoweekday() == 4:
        points *= Fraction(105, 100)
    earned = min(math.floor(points), CAP_PER_SALE)
    return max(0, min(earned, CAP_PER_DAY - earned_today))


def test_expected_earn_follows_the_rule_text():
    double_eleven = dt.date(2026, 11, 11)
    # 300 × 1.03 × 1.10 × 1.20 = 407.88 → 407 (rounding each step would give 406).
    assert expected_earn(30_099, double_eleven, 0) == 407
    assert expected_earn(30_099, double_eleven, 600) == 300
    assert expected_earn(99_900, dt.date(2026, 11, 12), 0) == 500  # a Thursday: capped
    assert expected_earn(99, dt.date(2026, 11, 13), 0) == 0


@dataclass
class Clock:
    now: dt.datetime = START


@dataclass
class ModelSale:
    sale_id: int
    principal: int
    bonus_uses: list[tuple[int, int]]  # (lot index, amount)
    points_uses: list[tuple[int, int]]
    earned_lot: int | None
    earned: int
    day: dt.date


@dataclass
class Model:
    order: str = "principal_first"  # the wallet's spending order
    principal: int = 0
    bonus: list[int] = field(default_factory=list)  # remaining per lot, in creation order
    points: list[int] = field(default_factory=list)
    sales: list[ModelSale] = field(default_factory=list)
    earned_on: dict[dt.date, int] = field(default_factory=dict)  # the member's, all cards
    # Life totals of the card (and the cards it replaced), for the bonus clawback rule.
    recharged: int = 0
    granted: int = 0
    refunded: int = 0
    clawed: int = 0

    @staticmethod
    def take(lots: list[int], amount: int) -> list[tuple[int, int]]:
        uses = []
        for i, remaining in enumerate(lots):
            if amount == 0:
                break
            used = min(remaining, amount)
            if used:
                lots[i] -= used
                uses.append((i, used))
                amount -= used
        assert amount == 0
        return uses


@pytest.mark.django_db
def test_ledger_matches_reference_model(owner, cashier, actors, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    earn_rule_publish(
        actor=owner,
        code="base",
        name="每消费1元积1分",
        unit_fen=100,
        points_per_unit=1,
        birthday_multiplier_pct=110,
        special_days=[
            {"date": "2026-11-11", "multiplier_pct": 120, "label": "双十一"},
            {"weekday": 4, "multiplier_pct": 105},
        ],
        cap_per_sale=CAP_PER_SALE,
        cap_per_day=CAP_PER_DAY,
    )
    tier_create(actor=owner, code="silver", name="银卡", level=1, points_multiplier_pct=103)
    manager = actors[Role.STORE_MANAGER]
    package = recharge_package_create(
        actor=owner, name="充100送10", pay_fen=10_000, bonus_fen=1_000
    )
    mobiles = itertools.count()

    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            clock.now = START
            holder = member_register(
                actor=cashier,
                data=MemberInput(
                    name="王小明", mobile=f"139{next(mobiles):08d}", birthday=BIRTHDAY
                ),
                channel="store",
            )
            self.card = card(cashier, owner, holder=holder)
            self.model = Model()
            # The policy row outlives an example (one database for the whole run).
            wallet_policy_update(actor=owner, spend_order=self.model.order)

        # -- helpers ---------------------------------------------------------------
        def lots(self, kind: str) -> list[Lot]:
            return list(
                Lot.objects.filter(account__card_id=self.card.pk, account__kind=kind).order_by("pk")
            )

        def balances(self) -> dict[str, int]:
            return {a.kind: a.balance for a in Account.objects.filter(card_id=self.card.pk)}

        # -- operations --------------------------------------------------------------
        @rule(amount=st.integers(1, 60_000), with_package=st.booleans())
        def recharge(self, amount: int, with_package: bool) -> None:
            if with_package:
                amount = package.pay_fen
            try:
                wallet_recharge(
                    actor=cashier,
                    card_id=self.card.pk,
                    amount_fen=amount,
                    method="cash",
                    package_id=package.pk if with_package else None,
                    idempotency_key=key(),
                )
            except DomainError as exc:
                assert exc.code == "prepaid_limit_exceeded"
                assert self.model.principal + amount > 500_000
                return
            self.model.principal += amount
            self.model.recharged += amount
            if with_package:
                self.model.bonus.append(package.bonus_fen)
                self.model.granted += package.bonus_fen

        @rule(
            amount=st.integers(1, 70_000),
            balance_pct=st.integers(0, 110),
            points_pct=st.integers(0, 60),
        )
        def spend(self, amount: int, balance_pct: int, points_pct: int) -> None:
            m = self.model
            # Aim near the edges: a share of what the card holds and of the bill.
            points = min(sum(m.points) + (points_pct > 55), amount * points_pct // 100)
            balance = min(
                amount - points,
                (m.principal + sum(m.bonus)) * balance_pct // 100 + (balance_pct > 100),
            )
            expected = None
            if points * 100 > amount * 50:
                expected = "points_offset_too_high"
            elif points + balance > amount:
                expected = "overpaid"
            elif points > sum(m.points):
                expected = "insufficient_points"
            elif balance > m.principal + sum(m.bonus):
                expected = "insufficient_balance"
            try:
                sale = sale_quick(
                    actor=cashier,
                    data=QuickSaleInput(
                        amount_fen=amount,
                        card_id=self.card.pk,
                        balance_fen=balance,
                        points=points,
                        external_method="cash",
                    ),
                    idempotency_key=key(),
                )
            except DomainError as exc:
                assert exc.code == expected, (exc.code, expected)
                return
            assert expected is None, expected
            # The spending orders as the policy page states them: principal first (bonus
            # pays what principal cannot), bonus first (the other way round), or
            # proportional (bonus pays its share of what the card holds, rounded down to
            # the fen; principal pays the rest).
            bonus_held = sum(m.bonus)
            if m.order == "bonus_first":
                from_principal = balance - min(bonus_held, balance)
            elif m.order == "proportional" and m.principal + bonus_held:
                share = Fraction(balance * bonus_held, m.principal + bonus_held)
                from_principal = balance - math.floor(share)
            else:
                from_principal = min(m.principal, balance)
            m.principal -= from_principal
            bonus_uses = Model.take(m.bonus, balance - from_principal)
            points_uses = Model.take(m.points, points)
            day = shanghai_date(clock.now)
            paid = from_principal + amount - points - balance  # principal and cash
            earned = expected_earn(paid, day, m.earned_on.get(day, 0))
            assert (sale.points_earned, sale.earn_explanation["points"]) == (earned, earned)
            m.earned_on[day] = m.earned_on.get(day, 0) + earned
            earned_lot = None
            if earned:
                m.points.append(earned)
                earned_lot = len(m.points) - 1
            m.sales.append(
                ModelSale(sale.pk, from_principal, bonus_uses, points_uses, earned_lot, earned, day)
            )

        @rule(order=st.sampled_from(["principal_first", "bonus_first", "proportional"]))
        def set_spend_order(self, order: str) -> None:
            wallet_policy_update(actor=owner, spend_order=order)
            self.model.order = order

        @precondition(lambda self: self.model.sales)
        @rule(data=st.data())
        def reverse(self, data: st.DataObject) -> None:
            m = self.model
            sale = data.draw(st.sampled_from(m.sales))
            # Give back exactly, then take the earned points back from their lot first.
            points_after_give_back = list(m.points)
            for i, used in sale.points_uses:
                points_after_give_back[i] += used
            can_take = sum(points_after_give_back) >= sale.earned
            try:
                sale_reverse(
                    actor=manager, sale_id=sale.sale_id, reason="test", idempotency_key=key()
                )
            except DomainError as exc:
                assert exc.code == "earned_points_used" and not can_take, exc.code
                return
            assert can_take
            m.sales.remove(sale)
            m.earned_on[sale.day] -= sale.earned
            m.principal += sale.principal
            for i, used in sale.bonus_uses:
                m.bonus[i] += used
            m.points = points_after_give_back
            if sale.earned:
                assert sale.earned_lot is not None
                from_lot = min(m.points[sale.earned_lot], sale.earned)
                m.points[sale.earned_lot] -= from_lot
                Model.take(m.points, sale.earned - from_lot)

        @rule(pct=st.integers(1, 110))
        def refund(self, pct: int) -> None:
            m = self.model
            amount = max(1, m.principal * pct // 100 + (pct > 100))
            try:
                wallet_refund(
                    actor=manager,
                    card_id=self.card.pk,
                    amount_fen=amount,
                    method="cash",
                    reason="客户申请",
                    idempotency_key=key(),
                )
            except DomainError as exc:
                assert exc.code == "insufficient_principal" and amount > m.principal
                return
            # docs/money-rules.md: clawed back so far = round half up (bonus granted ×
            # principal refunded so far / principal recharged), at most the bonus left.
            m.refunded += amount
            target = math.floor(Fraction(m.granted * m.refunded, m.recharged) + Fraction(1, 2))
            clawback = min(max(target - m.clawed, 0), sum(m.bonus))
            m.clawed += clawback
            m.principal -= amount
            Model.take(m.bonus, clawback)

        @rule(delta=st.integers(-500, 2_000).filter(bool))
        def adjust(self, delta: int) -> None:
            m = self.model
            try:
                points_adjust(
                    actor=owner,
                    card_id=self.card.pk,
                    delta=delta,
                    reason="调整",
                    idempotency_key=key(),
                )
            except DomainError as exc:
                assert exc.code == "insufficient_points" and -delta > sum(m.points)
                return
            if delta > 0:
                m.points.append(delta)
            else:
                Model.take(m.points, -delta)

        @rule(data=st.data(), kind=st.sampled_from(["bonus", "points"]))
        def expire(self, data: st.DataObject, kind: str) -> None:
            live = [(i, lot) for i, lot in enumerate(self.lots(kind)) if lot.remaining]
            if not live:
                return
            index, lot = data.draw(st.sampled_from(live))
            # The lot's time has come: move its expiry into the past, then run the job.
            Lot.objects.filter(pk=lot.pk).update(
                expires_at=timezone.now() - dt.timedelta(seconds=1)
            )
            assert lots_expire_due(actor=owner) == 1
            model_lots = self.model.bonus if kind == "bonus" else self.model.points
            model_lots[index] = 0
            # Sales that used this lot can no longer give back into it beyond the model's view.
            self.model.sales = [
                s
                for s in self.model.sales
                if all(i != index for i, _ in (s.bonus_uses if kind == "bonus" else s.points_uses))
                and (kind != "points" or s.earned_lot != index)
            ]

        @rule(hours=st.sampled_from([1, 5, 9, 16, 24]))
        def time_passes(self, hours: int) -> None:
            clock.now += dt.timedelta(hours=hours)

        @rule()
        def reissue(self) -> None:
            self.card = card_reissue(
                actor=cashier, card_id=self.card.pk, idempotency_key=key(), reason="补卡"
            )
            m = self.model
            m.bonus = [b for b in m.bonus if b]
            m.points = [p for p in m.points if p]
            m.sales = []  # the old card is void: its sales are not reversed onto it here

        @invariant()
        def balances_match(self) -> None:
            m = self.model
            assert self.balances() == {
                "principal": m.principal,
                "bonus": sum(m.bonus),
                "points": sum(m.points),
            }
            assert [lot.remaining for lot in self.lots("bonus")] == m.bonus
            assert [lot.remaining for lot in self.lots("points")] == m.points

        def teardown(self) -> None:
            report = verify_ledger()
            assert report.ok, report.problems

    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=80,
            stateful_step_count=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    assert Sale.objects.exists()
