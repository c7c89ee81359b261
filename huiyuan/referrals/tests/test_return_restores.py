"""A return restores coupon, points and commission as declared (issue 9, Tests): a referee
pays with a coupon, points and cash; the full return gives back the coupon (the template
restores on a full return), the points spent, takes back the points earned, and reverses
the referrer's commission to zero; a partial return first does each in proportion."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.checkout.models import SaleLine
from huiyuan.checkout.services import (
    BasketSaleInput,
    ExternalPayment,
    SaleLineInput,
    sale_complete,
    sale_return,
)
from huiyuan.checkout.tests.conftest import shop  # noqa: F401 - fixture
from huiyuan.core.permissions import Role
from huiyuan.coupons.services import TemplateInput, coupon_issue, template_create
from huiyuan.events.dispatch import events_dispatch
from huiyuan.ledger.tests.factories import balances, card, default_rule, key
from huiyuan.ledger.verify import verify_ledger
from huiyuan.points.services import points_adjust
from huiyuan.referrals.models import ReferralCommission
from huiyuan.referrals.tests.conftest import join


@pytest.fixture
def referee_card(owner, cashier, policy):
    default_rule(owner)  # 1 point per ¥1
    referrer = join(cashier, "甲", None)
    card(cashier, owner, holder=referrer)
    referee = join(cashier, "乙", referrer)
    c = card(cashier, owner, holder=referee)
    points_adjust(actor=owner, card_id=c.pk, delta=1000, reason="开卡礼", idempotency_key=key())
    events_dispatch()
    return c


def test_a_return_restores_coupon_points_and_commission(
    shop,  # noqa: F811
    referee_card,
    owner,
    cashier,
    actors,
):
    manager = actors[Role.STORE_MANAGER]
    template = template_create(
        actor=owner,
        data=TemplateInput(
            name="满50减10",
            kind="threshold",
            value=1000,
            min_spend_fen=5000,
            valid_from=dt.date(2020, 1, 1),
            valid_to=dt.date(2099, 12, 31),
        ),
    )
    coupon = coupon_issue(
        actor=owner,
        template_id=template.pk,
        member_id=referee_card.member_id,
        idempotency_key=key(),
    )
    before = balances(referee_card)
    assert before == {"principal": 0, "bonus": 0, "points": 1000}
    # Two coffees (¥56.00) − coupon ¥10.00 = ¥46.00: 100 points offset, the rest in cash.
    sale = sale_complete(
        actor=cashier,
        data=BasketSaleInput(
            lines=(SaleLineInput(product_id=shop.coffee.pk, quantity_milli=2000),),
            card_id=referee_card.pk,
            points=100,
            payments=(ExternalPayment("cash", 4500),),
            coupon_codes=(coupon.code,),
        ),
        idempotency_key=key(),
    )
    events_dispatch()
    assert (sale.discount_fen, sale.payable_fen) == (1000, 4600)
    credit = ReferralCommission.objects.get(sale_id=sale.pk, reverses__isnull=True)
    assert (credit.level, credit.base_fen, credit.amount_fen) == (1, 4500, 225)  # 5% of cash
    after_sale = balances(referee_card)
    assert after_sale["points"] == 1000 - 100 + 45  # 45 earned on ¥45.00 paid
    coupon.refresh_from_db()
    assert coupon.status == "used"

    line = SaleLine.objects.get(sale=sale)
    sale_return(
        actor=manager,
        sale_id=sale.pk,
        lines=[(line.pk, 1000)],
        reason="退一杯",
        idempotency_key=key(),
    )
    events_dispatch()
    coupon.refresh_from_db()
    assert coupon.status == "used"  # a partial return keeps the coupon used
    half = ReferralCommission.objects.filter(sale_id=sale.pk, reverses=credit)
    assert list(half.values_list("amount_fen", flat=True)) == [-112]  # 225 × 2250 ÷ 4500

    sale_return(
        actor=manager,
        sale_id=sale.pk,
        lines=[(line.pk, 1000)],
        reason="全退",
        idempotency_key=key(),
    )
    events_dispatch()
    coupon.refresh_from_db()
    assert (coupon.status, coupon.sale_id, coupon.times_restored) == ("unused", None, 1)
    assert balances(referee_card) == before  # points spent back, points earned taken back
    net = sum(
        ReferralCommission.objects.filter(sale_id=sale.pk).values_list("amount_fen", flat=True)
    )
    assert net == 0
    assert verify_ledger().ok
