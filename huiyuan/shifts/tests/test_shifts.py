"""Shifts: a shift's expected takings are exactly the money its cashier moved during it."""

from __future__ import annotations

import pytest

from huiyuan.audit.models import AuditEvent
from huiyuan.checkout.models import SaleLine
from huiyuan.checkout.services import (
    BasketSaleInput,
    ExternalPayment,
    SaleLineInput,
    sale_complete,
    sale_return,
    sale_reverse,
)
from huiyuan.core.clock import local_today
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Role
from huiyuan.events.models import OutboxEvent
from huiyuan.ledger.tests.factories import key
from huiyuan.shifts.models import Shift
from huiyuan.shifts.selectors import shift_current, shift_get, shifts_of_day
from huiyuan.shifts.services import shift_close, shift_handover, shift_open
from huiyuan.shifts.takings import shift_takings
from huiyuan.stores.models import Staff
from huiyuan.wallet.services import wallet_recharge, wallet_refund


def _sell(actor, product, quantity_milli, *payments):
    return sale_complete(
        actor=actor,
        data=BasketSaleInput(
            lines=(SaleLineInput(product_id=product.pk, quantity_milli=quantity_milli),),
            payments=tuple(ExternalPayment(m, a) for m, a in payments),
        ),
        idempotency_key=key(),
    )


def _staff_at(username, store, role=Role.CASHIER):
    person = Staff.objects.create(username=username, display_name=username, role=role)
    person.stores.set([store])
    return person


@pytest.fixture
def manager(actors):
    return actors[Role.STORE_MANAGER]


def test_expected_takings_are_exactly_the_cashiers_movements_in_the_window(
    shop, funded, manager, cashier
):
    # Before the shift: not counted.
    _sell(manager, shop.coffee, 1000, ("cash", 2800))
    shift = shift_open(actor=manager, float_fen=50000, idempotency_key=key())

    coffee = _sell(manager, shop.coffee, 2000, ("cash", 5600))  # +5600 cash
    _sell(manager, shop.tea, 1000, ("wechat", 1250))  # +1250 wechat
    mixed = _sell(manager, shop.tea, 2000, ("cash", 1000), ("alipay", 1500))  # +1000, +1500
    _sell(cashier, shop.coffee, 1000, ("cash", 2800))  # another cashier: not counted
    wallet_recharge(
        actor=manager, card_id=funded.pk, amount_fen=10000, method="cash", idempotency_key=key()
    )  # +10000 cash
    wallet_recharge(
        actor=cashier, card_id=funded.pk, amount_fen=7000, method="cash", idempotency_key=key()
    )  # another cashier: not counted
    wallet_refund(
        actor=manager,
        card_id=funded.pk,
        amount_fen=3000,
        method="cash",
        reason="退款",
        idempotency_key=key(),
    )  # −3000 cash
    line = SaleLine.objects.get(sale=coffee)
    sale_return(
        actor=manager,
        sale_id=coffee.pk,
        lines=[(line.pk, 1000)],
        reason="退一杯",
        idempotency_key=key(),
    )  # −2800 cash
    sale_reverse(actor=manager, sale_id=mixed.pk, reason="冲正", idempotency_key=key())
    # −1000 cash, −1500 alipay

    takings = shift_takings(shift)
    assert takings.by_source == {
        "float": {"cash": 50000},
        "sales": {"cash": 6600, "wechat": 1250, "alipay": 1500},
        "reversals": {"cash": -1000, "alipay": -1500},
        "returns": {"cash": -2800},
        "recharges": {"cash": 10000},
        "refunds": {"cash": -3000},
        "benefit_upgrades": {},
        "benefit_refunds": {},
    }
    expected_cash = 50000 + 5600 + 1000 - 1000 - 2800 + 10000 - 3000
    assert takings.expected == {"alipay": 0, "cash": expected_cash, "wechat": 1250}

    closed = shift_close(
        actor=manager,
        shift_id=shift.pk,
        counted={"cash": expected_cash - 150, "wechat": 1250},
        idempotency_key=key(),
    )
    assert closed.status == Shift.Status.CLOSED
    assert closed.expected["cash"] == expected_cash
    assert closed.cash_difference_fen == -150
    # After closing: nothing more is counted for it.
    _sell(manager, shop.coffee, 1000, ("cash", 2800))
    assert shift_takings(closed).expected_cash == expected_cash
    assert AuditEvent.objects.filter(action="shift.closed", subject_id=str(shift.pk)).count() == 1
    event = OutboxEvent.objects.get(name="shift.closed")
    assert event.payload["cash_difference_fen"] == -150


def test_one_open_shift_per_cashier_and_store(stores, cashier):
    shift_open(actor=cashier, float_fen=10000, idempotency_key=key())
    before = (Shift.objects.count(), AuditEvent.objects.count())
    with pytest.raises(DomainError) as refused:
        shift_open(actor=cashier, float_fen=20000, idempotency_key=key())
    assert refused.value.code == "shift_already_open"
    assert (Shift.objects.count(), AuditEvent.objects.count()) == before


def test_open_and_close_are_idempotent(stores, cashier):
    k = key()
    first = shift_open(actor=cashier, float_fen=10000, idempotency_key=k)
    again = shift_open(actor=cashier, float_fen=10000, idempotency_key=k)
    assert again.pk == first.pk
    with pytest.raises(DomainError) as reused:
        shift_open(actor=cashier, float_fen=99, idempotency_key=k)
    assert reused.value.code == "idempotency_key_reused"
    ck = key()
    closed = shift_close(
        actor=cashier, shift_id=first.pk, counted={"cash": 10000}, idempotency_key=ck
    )
    replay = shift_close(
        actor=cashier, shift_id=first.pk, counted={"cash": 10000}, idempotency_key=ck
    )
    assert replay.pk == closed.pk and replay.cash_difference_fen == 0
    with pytest.raises(DomainError) as again_closed:
        shift_close(
            actor=cashier, shift_id=first.pk, counted={"cash": 10000}, idempotency_key=key()
        )
    assert again_closed.value.code == "shift_closed"
    assert OutboxEvent.objects.filter(name="shift.closed").count() == 1


def test_close_needs_cash_counted_and_known_methods(stores, cashier):
    shift = shift_open(actor=cashier, float_fen=0, idempotency_key=key())
    for counted, code in (
        ({"wechat": 100}, "cash_count_required"),
        ({"cash": 100, "bitcoin": 1}, "invalid_method"),
        ({"cash": -1}, "invalid_counted"),
    ):
        with pytest.raises(DomainError) as refused:
            shift_close(actor=cashier, shift_id=shift.pk, counted=counted, idempotency_key=key())
        assert refused.value.code == code
    assert Shift.objects.get(pk=shift.pk).status == Shift.Status.OPEN


def test_handover_closes_and_opens_the_next_with_the_counted_cash(staff, stores, cashier, actors):
    shift = shift_open(actor=cashier, float_fen=30000, idempotency_key=key())
    manager_staff = staff[Role.STORE_MANAGER]
    closed, opened = shift_handover(
        actor=cashier,
        shift_id=shift.pk,
        counted={"cash": 30100},
        next_cashier_id=manager_staff.pk,
        idempotency_key=key(),
    )
    assert closed.status == Shift.Status.CLOSED and closed.cash_difference_fen == 100
    assert opened.cashier_id == manager_staff.pk
    assert opened.float_fen == 30100 and opened.previous_id == closed.pk
    assert shift_current(actor=actors[Role.STORE_MANAGER]).pk == opened.pk
    assert shift_current(actor=cashier) is None


def test_a_manager_sees_the_days_shifts_of_their_stores_only(stores, staff, cashier, actors, owner):
    other = _staff_at("east", stores[1]).as_actor()
    mine = shift_open(actor=cashier, float_fen=0, idempotency_key=key())
    theirs = shift_open(actor=other, float_fen=0, idempotency_key=key())
    manager = actors[Role.STORE_MANAGER]
    assert [s.pk for s in shifts_of_day(actor=manager, day=local_today())] == [mine.pk]
    assert {s.pk for s in shifts_of_day(actor=owner, day=local_today())} == {mine.pk, theirs.pk}
    with pytest.raises(DomainError) as refused:
        shifts_of_day(actor=manager, day=local_today(), store_id=stores[1].pk)
    assert refused.value.code == "store_forbidden"
    with pytest.raises(DomainError):
        shift_get(actor=manager, shift_id=theirs.pk)
    with pytest.raises(DomainError) as not_yours:
        shift_close(actor=manager, shift_id=theirs.pk, counted={"cash": 0}, idempotency_key=key())
    assert not_yours.value.code == "store_forbidden"
    with pytest.raises(DomainError) as cashier_refused:
        shifts_of_day(actor=cashier, day=local_today())
    assert cashier_refused.value.code == "permission_denied"
