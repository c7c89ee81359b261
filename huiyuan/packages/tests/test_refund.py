"""Refund of the unused part: the declared rule, exact to the fen; the package closes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Role
from huiyuan.events.models import OutboxEvent
from huiyuan.ledger.tests.factories import key
from huiyuan.packages.models import MemberPackage, PackageRefund
from huiyuan.packages.refunds import package_refund
from huiyuan.packages.rules import refund_quote, unit_share, valid_until
from huiyuan.packages.services import package_use
from huiyuan.packages.tests.conftest import packages_of, state

UTC = dt.UTC


@given(
    paid=st.integers(0, 10**8),
    total=st.integers(1, 10_000),
    data=st.data(),
    fee=st.integers(0, 10**6),
    bp=st.integers(0, 10_000),
)
def test_refund_rule(paid, total, data, fee, bp):
    unused = data.draw(st.integers(0, total))
    quote = refund_quote(
        paid_fen=paid, total_units=total, unused_units=unused, fee_fen=fee, fee_bp=bp
    )
    # gross: the largest whole fen not above paid × unused / total
    assert quote.gross_fen * total <= paid * unused < (quote.gross_fen + 1) * total
    assert quote.fee_fen == min(quote.gross_fen, fee + quote.gross_fen * bp // 10_000)
    assert quote.amount_fen == quote.gross_fen - quote.fee_fen >= 0


@given(amount=st.integers(0, 10**8), quantity=st.integers(1, 500))
def test_unit_shares_add_up(amount, quantity):
    shares = [unit_share(amount, quantity, i) for i in range(quantity)]
    assert sum(shares) == amount
    assert max(shares) - min(shares) <= 1


def test_validity_rules():
    assert valid_until(dt.date(2026, 1, 15), 1, "month") == dt.date(2026, 2, 14)
    assert valid_until(dt.date(2026, 1, 31), 1, "month") == dt.date(2026, 2, 27)
    assert valid_until(dt.date(2026, 11, 30), 30, "day") == dt.date(2026, 12, 29)
    assert valid_until(dt.date(2026, 11, 30), None, "day") is None


def test_a_course_card_refund_worked_example(plan_set, member_card, sell, cashier, actors):
    # ¥1000 for 3 + 5 = 8 uses; 3 used → 5 unused: 100000 × 5 / 8 = 62500;
    # fee ¥5 + 10 % of 62500 = 500 + 6250 = 6750 → refund 55750.
    package = packages_of(sell(plan_set.course, member_card))[0]
    stretch = package.items.get(name="拉伸")
    for _ in range(3):
        package_use(actor=cashier, package_id=package.pk, item_id=stretch.pk, idempotency_key=key())
    refund = package_refund(
        actor=actors[Role.STORE_MANAGER],
        package_id=package.pk,
        method="cash",
        reason="搬家",
        idempotency_key=key(),
    )
    assert (refund.total_units, refund.unused_units) == (8, 5)
    assert (refund.gross_fen, refund.fee_fen, refund.amount_fen) == (62500, 6750, 55750)
    package.refresh_from_db()
    assert package.status == MemberPackage.Status.REFUNDED
    event = OutboxEvent.objects.get(name="package.refunded")
    assert event.payload["amount_fen"] == 55750
    with pytest.raises(DomainError) as closed:
        package_use(actor=cashier, package_id=package.pk, item_id=stretch.pk, idempotency_key=key())
    assert closed.value.code == "package_closed"


def test_a_count_card_refund_rounds_down(plan_set, member_card, sell, cashier, actors, owner):
    package = packages_of(sell(plan_set.swim10, member_card, quantity=3))[0]
    MemberPackage.objects.filter(pk=package.pk).update(paid_fen=29999)
    for _ in range(3):
        package_use(actor=cashier, package_id=package.pk, idempotency_key=key())
    refund = package_refund(
        actor=owner, package_id=package.pk, reason="退卡", idempotency_key=key()
    )
    assert refund.gross_fen == 29999 * 7 // 10 == 20999
    assert refund.amount_fen == 20999


def test_a_period_card_refunds_the_days_after_today(plan_set, member_card, sell, actors, clock):
    clock(dt.datetime(2026, 11, 10, 2, 0, tzinfo=UTC))  # 11-10 local; valid to 12-09
    package = packages_of(sell(plan_set.monthly, member_card))[0]
    clock(dt.datetime(2026, 11, 19, 23, 30, tzinfo=UTC))  # 07:30 on 11-20 local
    refund = package_refund(
        actor=actors[Role.STORE_MANAGER],
        package_id=package.pk,
        reason="伤病",
        idempotency_key=key(),
    )
    # 30 days (11-10 … 12-09); today 11-20 counts as used: 11-21 … 12-09 = 19 days.
    assert (refund.total_units, refund.unused_units) == (30, 19)
    assert refund.amount_fen == 19900 * 19 // 30


def test_a_cashier_cannot_refund_and_nothing_changes(plan_set, member_card, sell, cashier):
    package = packages_of(sell(plan_set.swim10, member_card))[0]
    before = state(package)
    with pytest.raises(DomainError) as refused:
        package_refund(actor=cashier, package_id=package.pk, reason="x", idempotency_key=key())
    assert refused.value.code == "permission_denied"
    assert state(package) == before


def test_a_used_up_card_has_nothing_to_refund(plan_set, member_card, sell, owner):
    package = packages_of(sell(plan_set.swim10, member_card))[0]
    package.items.update(used=10)
    before = state(package)
    with pytest.raises(DomainError) as refused:
        package_refund(actor=owner, package_id=package.pk, reason="x", idempotency_key=key())
    assert refused.value.code == "package_nothing_to_refund"
    assert state(package) == before
    assert PackageRefund.objects.count() == 0


def test_a_refunded_package_cannot_be_returned(plan_set, member_card, sell, owner, actors):
    from huiyuan.checkout.models import SaleLine
    from huiyuan.checkout.services import sale_return

    sale = sell(plan_set.swim10, member_card)
    package = packages_of(sale)[0]
    package_refund(actor=owner, package_id=package.pk, reason="退", idempotency_key=key())
    with pytest.raises(DomainError) as refused:
        sale_return(
            actor=actors[Role.STORE_MANAGER],
            sale_id=sale.pk,
            lines=[(SaleLine.objects.get(sale=sale).pk, 1000)],
            reason="退货",
            idempotency_key=key(),
        )
    assert refused.value.code == "package_partly_used"
