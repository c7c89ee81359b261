"""Pending points (P1): earned points wait out the return window; a return within it takes
them back without touching spendable points; maturation marks each lot once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.checkout.models import SaleLine
from huiyuan.checkout.services import (
    BasketSaleInput,
    ExternalPayment,
    SaleLineInput,
    sale_complete,
    sale_quote_basket,
    sale_return,
)
from huiyuan.checkout.tests.conftest import funded, shop  # noqa: F401 - fixtures
from huiyuan.core.permissions import Role
from huiyuan.events.models import OutboxEvent
from huiyuan.ledger import services as ledger
from huiyuan.ledger.models import Account, Lot
from huiyuan.ledger.tests.factories import balances, key
from huiyuan.ledger.verify import verify_ledger
from huiyuan.points.maturation import (
    pending_points,
    points_mature_due,
    points_matures_at,
    points_pending_total,
)
from huiyuan.points.models import PointsPolicy
from huiyuan.points.services import points_policy_update

UTC = dt.UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")


def available_points(card) -> int:
    account = Account.objects.get(card_id=card.pk, kind=Account.Kind.POINTS)
    return ledger.available(account, timezone.now())


@pytest.fixture
def window(owner):
    points_policy_update(actor=owner, pending_days=7)


def coffee_sale(cashier, shop, card, quantity=1):  # noqa: F811
    return sale_complete(
        actor=cashier,
        data=BasketSaleInput(
            lines=(SaleLineInput(product_id=shop.coffee.pk, quantity_milli=quantity * 1000),),
            card_id=card.pk,
            payments=(ExternalPayment("cash", 2800 * quantity),),
        ),
        idempotency_key=key(),
    )


def test_the_window_ends_at_the_local_midnight_after_n_days():
    policy = PointsPolicy(pending_days=7)
    # 07:30 in Shanghai on 1 May is 23:30 UTC on 30 April: the local day is 1 May.
    earned = dt.datetime(2030, 4, 30, 23, 30, tzinfo=UTC)
    assert points_matures_at(earned, policy) == dt.datetime(2030, 5, 9, 0, 0, tzinfo=SHANGHAI)
    assert points_matures_at(earned, PointsPolicy(pending_days=0)) is None


def test_earned_points_are_pending_until_the_window_ends(window, shop, cashier, funded):  # noqa: F811
    assert balances(funded)["points"] == 1000
    sale = coffee_sale(cashier, shop, funded, quantity=2)  # ¥56 → 56 points, pending
    assert sale.points_earned == 56
    assert balances(funded)["points"] == 1056  # in the balance…
    assert available_points(funded) == 1000  # …not spendable
    assert pending_points(funded.pk).points == 56
    assert points_pending_total(None, timezone.now()) == 56
    quote = sale_quote_basket(
        actor=cashier,
        data=BasketSaleInput(
            lines=(SaleLineInput(product_id=shop.coffee.pk, quantity_milli=1000),),
            card_id=funded.pk,
        ),
    )
    assert quote.points_available == 1000
    # The window passes (the lot's maturity is moved to the past, as time would).
    Lot.objects.filter(matures_at__isnull=False).update(
        matures_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert available_points(funded) == 1056
    assert pending_points(funded.pk).points == 0


def test_a_return_within_the_window_cancels_pending_points_only(window, shop, funded, actors):  # noqa: F811
    cashier = actors[Role.CASHIER]
    sale = coffee_sale(cashier, shop, funded, quantity=2)
    line = SaleLine.objects.get(sale=sale)
    spendable_before = available_points(funded)
    done = sale_return(
        actor=actors[Role.STORE_MANAGER],
        sale_id=sale.pk,
        lines=[(line.pk, 1000)],
        reason="退一杯",
        idempotency_key=key(),
    )
    assert (done.points_taken_back, done.points_unrecovered, done.deduction_fen) == (28, 0, 0)
    assert available_points(funded) == spendable_before == 1000
    assert pending_points(funded.pk).points == 28
    assert balances(funded)["points"] == 1028
    assert verify_ledger().ok


def test_maturation_twice_in_one_day_matures_once(window, shop, cashier, funded, owner):  # noqa: F811
    coffee_sale(cashier, shop, funded)
    later = timezone.now() + dt.timedelta(days=9)
    assert points_mature_due(actor=owner, now=timezone.now()) == 0  # not due yet
    assert points_mature_due(actor=owner, now=later) == 1
    assert points_mature_due(actor=owner, now=later + dt.timedelta(hours=1)) == 0
    lot = Lot.objects.get(matures_at__isnull=False)
    assert lot.matured_at == later
    assert OutboxEvent.objects.filter(name="points.matured").count() == 1
    event = AuditEvent.objects.get(action="points.matured")
    assert event.after["points"] == 28


def test_without_a_window_points_are_spendable_at_once(shop, cashier, funded):  # noqa: F811
    coffee_sale(cashier, shop, funded)
    assert available_points(funded) == 1028
    assert not Lot.objects.filter(matures_at__isnull=False).exists()


def test_cards_and_the_liability_show_pending_apart(window, shop, cashier, funded, owner):  # noqa: F811
    from huiyuan.cards.selectors import card_get
    from huiyuan.points.selectors import points_liability

    coffee_sale(cashier, shop, funded)
    shown = card_get(actor=owner, card_id=funded.pk)
    assert shown is not None
    assert (shown.points, shown.points_available, shown.points_pending) == (1028, 1000, 28)
    assert shown.points_pending_next == points_matures_at(
        timezone.now(), PointsPolicy(pending_days=7)
    )
    liability = points_liability(actor=owner)
    assert (liability["points"], liability["pending"], liability["spendable"]) == (1028, 28, 1000)
