"""Real threads on PostgreSQL: upgrades and refunds of one benefit card racing each other,
each with its own idempotency key — exactly one changes the card, its money is booked once
(one change row, one amount in the shift's takings), the card's state stays consistent."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection

from huiyuan.benefits import services
from huiyuan.benefits.models import BenefitChange, MemberBenefit
from huiyuan.benefits.tests.conftest import at
from huiyuan.checkout.services import BasketSaleInput, ExternalPayment, SaleLineInput, sale_complete
from huiyuan.core.races import race
from huiyuan.ledger.tests.factories import key
from huiyuan.packages.models import MemberPackage
from huiyuan.shifts.services import shift_open
from huiyuan.shifts.takings import shift_takings

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
N = 10


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are tested on PostgreSQL (SQLite serialises writers)")


@pytest.fixture
def held(shop, member_card, clock, manager):
    """The manager's shift from 03-10; a silver card sold on 03-10; the race on 03-20."""
    clock(at(2026, 3, 10, 9))
    shift = shift_open(actor=manager, float_fen=0, idempotency_key=key())
    clock(at(2026, 3, 10, 10))
    sale_complete(
        actor=manager,
        data=BasketSaleInput(
            lines=(SaleLineInput(product_id=shop.silver.product_id, quantity_milli=1000),),
            card_id=member_card.pk,
            payments=(ExternalPayment("cash", 3000),),
        ),
        idempotency_key=key(),
    )
    clock(at(2026, 3, 20, 10))
    return shift, MemberBenefit.objects.get(member=member_card.member)


def _upgrade(actor, benefit_id, plan_id):
    return lambda: (
        services.benefit_upgrade(
            actor=actor,
            benefit_id=benefit_id,
            plan_id=plan_id,
            method="wechat",
            idempotency_key=key(),
        ).kind
    )


def _refund(actor, benefit_id):
    return lambda: (
        services.benefit_refund(
            actor=actor, benefit_id=benefit_id, method="cash", reason="并发", idempotency_key=key()
        ).kind
    )


def test_n_upgrades_at_once_upgrade_once(shop, held, manager):
    shift, benefit = held
    outcome = Counter(race(*[_upgrade(manager, benefit.pk, shop.gold.pk) for _ in range(N)]))
    assert outcome == {"upgrade": 1, "benefit_not_active": N - 1}, outcome
    change = BenefitChange.objects.get()
    assert (change.kind, change.amount_fen, change.due_fen) == ("upgrade", 1935, 28065)
    benefit.refresh_from_db()
    assert benefit.status == "upgraded"
    cards = list(MemberBenefit.objects.order_by("pk").values_list("status", "plan_id", "paid_fen"))
    assert cards == [("upgraded", shop.silver.pk, 3000), ("active", shop.gold.pk, 30000)]
    assert MemberPackage.objects.get(pk=benefit.package_id).status == "cancelled"
    takings = shift_takings(shift, now=at(2026, 3, 20, 12))
    assert takings.by_source["benefit_upgrades"] == {"wechat": 28065}
    assert takings.counts["benefit_upgrades"] == 1


def test_n_refunds_at_once_refund_once(held, manager):
    shift, benefit = held
    outcome = Counter(race(*[_refund(manager, benefit.pk) for _ in range(N)]))
    assert outcome == {"refund": 1, "benefit_not_active": N - 1}, outcome
    # 03-21 … 04-09: 20 of 31 days; gross 1935, fee 10% 193, refund 1742.
    change = BenefitChange.objects.get()
    assert (change.gross_fen, change.fee_fen, change.amount_fen) == (1935, 193, 1742)
    benefit.refresh_from_db()
    assert benefit.status == "refunded"
    assert MemberBenefit.objects.count() == 1
    assert MemberPackage.objects.get(pk=benefit.package_id).status == "cancelled"
    takings = shift_takings(shift, now=at(2026, 3, 20, 12))
    assert takings.by_source["benefit_refunds"] == {"cash": -1742}
    assert takings.expected == {"cash": 3000 - 1742}


def test_refunds_racing_upgrades_one_wins_and_the_card_is_consistent(shop, held, manager):
    shift, benefit = held
    sides = []
    for i in range(N):
        sides.append(
            _upgrade(manager, benefit.pk, shop.gold.pk) if i % 2 else _refund(manager, benefit.pk)
        )
    outcome = Counter(race(*sides))
    winners = {k: v for k, v in outcome.items() if k in ("upgrade", "refund")}
    assert sum(winners.values()) == 1, outcome
    assert outcome["benefit_not_active"] == N - 1, outcome
    change = BenefitChange.objects.get()
    benefit.refresh_from_db()
    takings = shift_takings(shift, now=at(2026, 3, 20, 12))
    if change.kind == "upgrade":
        assert benefit.status == "upgraded"
        assert list(MemberBenefit.objects.filter(status="active").values_list("plan_id")) == [
            (shop.gold.pk,)
        ]
        assert takings.by_source["benefit_upgrades"] == {"wechat": 28065}
        assert takings.by_source["benefit_refunds"] == {}
    else:
        assert benefit.status == "refunded"
        assert not MemberBenefit.objects.filter(status="active").exists()
        assert takings.by_source["benefit_refunds"] == {"cash": -1742}
        assert takings.by_source["benefit_upgrades"] == {}
    assert MemberPackage.objects.get(pk=benefit.package_id).status == "cancelled"
