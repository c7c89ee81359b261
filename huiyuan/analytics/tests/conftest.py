"""A small day of business at two stores, made through the services, with the events
delivered to the roll-up subscriber."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from huiyuan.cards.models import Card
from huiyuan.checkout.models import Sale, SaleReturn
from huiyuan.checkout.services import QuickSaleInput, sale_quick, sale_return, sale_reverse
from huiyuan.checkout.tests.conftest import funded, shop  # noqa: F401 - fixtures
from huiyuan.core.permissions import Role
from huiyuan.events.dispatch import events_dispatch
from huiyuan.ledger.tests.factories import card, default_rule, key
from huiyuan.points.services import points_adjust
from huiyuan.stores.models import Staff
from huiyuan.wallet.models import Refund
from huiyuan.wallet.services import recharge_package_create, wallet_recharge, wallet_refund


@dataclass
class Day:
    card: Card
    other_card: Card  # issued at the second store
    paid_by_card: Sale
    paid_cash: Sale
    reversed: Sale
    returned: SaleReturn
    refund: Refund
    other_sale: Sale


@pytest.fixture
def business(owner, cashier, actors, staff, stores) -> Day:
    """At S01 (cashier): a member joins, recharges ¥500 cash (+¥50 bonus), gets 1,000 points
    by hand; sales of ¥100 from the card, ¥50 cash and ¥30 WeChat; the ¥30 sale is reversed,
    the ¥50 one returned; ¥10 principal refunded. At S02 (a cashier there): a member joins
    and buys ¥20 cash. Every event is delivered."""
    manager = actors[Role.STORE_MANAGER]
    default_rule(owner)
    c = card(cashier, owner)
    package = recharge_package_create(actor=owner, name="充500送50", pay_fen=50000, bonus_fen=5000)
    wallet_recharge(
        actor=cashier,
        card_id=c.pk,
        amount_fen=50000,
        method="cash",
        package_id=package.pk,
        idempotency_key=key(),
    )
    points_adjust(actor=manager, card_id=c.pk, delta=1000, reason="开卡礼", idempotency_key=key())

    def sell(amount: int, **pay: object) -> Sale:
        return sale_quick(
            actor=cashier,
            data=QuickSaleInput(amount_fen=amount, card_id=c.pk, **pay),  # type: ignore[arg-type]
            idempotency_key=key(),
        )

    by_card = sell(10000, balance_fen=10000)
    cash = sell(5000, external_method="cash")
    wechat = sell(3000, external_method="wechat")
    sale_reverse(actor=manager, sale_id=wechat.pk, reason="收错", idempotency_key=key())
    line = cash.lines.get()
    ret = sale_return(
        actor=manager,
        sale_id=cash.pk,
        lines=[(line.pk, line.quantity_milli)],
        reason="退货",
        idempotency_key=key(),
    )
    refund = wallet_refund(
        actor=manager,
        card_id=c.pk,
        amount_fen=1000,
        method="cash",
        reason="退余额",
        idempotency_key=key(),
    )
    east = stores[1]
    east_staff = Staff.objects.create(
        username="east", display_name="东城收银", role=Role.CASHIER, default_store=east
    )
    east_staff.stores.set([east])
    east_cashier = east_staff.as_actor()
    c2 = card(east_cashier, owner)
    other = sale_quick(
        actor=east_cashier,
        data=QuickSaleInput(amount_fen=2000, card_id=c2.pk, external_method="cash"),
        idempotency_key=key(),
    )
    events_dispatch()
    return Day(
        card=c,
        other_card=c2,
        paid_by_card=by_card,
        paid_cash=cash,
        reversed=wechat,
        returned=ret,
        refund=refund,
        other_sale=other,
    )
