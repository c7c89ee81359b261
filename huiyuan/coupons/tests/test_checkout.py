"""Coupons at checkout: the exact discount and reason, used in the sale's transaction, a
refused sale leaves the coupon unused, a return restores it as declared."""

from __future__ import annotations

import pytest

from huiyuan.checkout.models import SaleLine
from huiyuan.checkout.services import (
    BasketSaleInput,
    ExternalPayment,
    SaleLineInput,
    sale_complete,
    sale_quote_basket,
    sale_return,
)
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Role
from huiyuan.coupons.models import Coupon
from huiyuan.coupons.services import coupon_issue
from huiyuan.ledger.tests.factories import balances, key
from huiyuan.pricing import render_reason_zh


def item(product, quantity: int = 1) -> SaleLineInput:
    return SaleLineInput(product_id=product.pk, quantity_milli=quantity * 1000)


@pytest.fixture
def coupon(make_template, funded, owner) -> Coupon:
    template = make_template()
    return coupon_issue(
        actor=owner, template_id=template.pk, member_id=funded.member_id, idempotency_key=key()
    )


def sell(cashier, card, lines, codes, cash):
    return sale_complete(
        actor=cashier,
        data=BasketSaleInput(
            lines=lines,
            card_id=card.pk,
            payments=(ExternalPayment("cash", cash),),
            coupon_codes=codes,
        ),
        idempotency_key=key(),
    )


def test_quote_lists_the_coupon_and_proposes_it(shop, funded, cashier, coupon):
    quote = sale_quote_basket(
        actor=cashier,
        data=BasketSaleInput(lines=(item(shop.coffee, 2),), card_id=funded.pk),
    )
    assert quote.coupons is not None
    assert [h.terms.code for h in quote.coupons.held] == [coupon.code]
    assert quote.coupons.held[0].why_not is None
    assert quote.coupons.proposal == (coupon.code,)
    assert quote.coupons.proposal_fen == 1000
    assert quote.priced.discount_fen == 0  # proposed, not applied until chosen


def test_sale_applies_the_coupon_with_its_reason_and_marks_it_used(shop, funded, cashier, coupon):
    sale = sell(cashier, funded, (item(shop.coffee, 2),), (coupon.code,), 4600)
    assert (sale.amount_fen, sale.discount_fen, sale.payable_fen) == (5600, 1000, 4600)
    line = SaleLine.objects.get(sale=sale)
    assert line.adjustments[0]["rule"]["kind"] == "coupon"
    coupon.refresh_from_db()
    assert (coupon.status, coupon.sale_id, coupon.discount_fen) == ("used", sale.pk, 1000)
    from huiyuan.pricing import Reason

    reason = line.adjustments[0]["reason"]
    assert render_reason_zh(Reason(reason["code"], reason["params"])) == (
        "优惠券「满50减10」满 ¥50.00 减 ¥10.00，优惠 ¥10.00"
    )
    with pytest.raises(DomainError) as info:
        sell(cashier, funded, (item(shop.coffee, 2),), (coupon.code,), 4600)
    assert info.value.code == "coupon_used"


def test_a_refused_sale_leaves_the_coupon_unused(shop, funded, cashier, coupon):
    before = balances(funded)
    with pytest.raises(DomainError) as info:
        sell(cashier, funded, (item(shop.coffee, 2),), (coupon.code,), 5600)  # overpaid
    assert info.value.code == "payments_exceed_due"
    coupon.refresh_from_db()
    assert coupon.status == "unused" and coupon.sale_id is None
    assert balances(funded) == before
    with pytest.raises(DomainError) as below:
        sell(cashier, funded, (item(shop.coffee, 1),), (coupon.code,), 1800)
    assert below.value.code == "coupon_not_applicable"
    assert below.value.details["why"] == "below_min_spend"
    coupon.refresh_from_db()
    assert coupon.status == "unused"


def test_full_return_restores_the_coupon_partial_does_not(shop, funded, cashier, actors, coupon):
    manager = actors[Role.STORE_MANAGER]
    sale = sell(cashier, funded, (item(shop.coffee, 2), item(shop.tea)), (coupon.code,), 5850)
    coffee, tea = SaleLine.objects.filter(sale=sale).order_by("position")
    assert coffee.discount_fen + tea.discount_fen == 1000
    sale_return(
        actor=manager,
        sale_id=sale.pk,
        lines=[(coffee.pk, 2000)],
        reason="退",
        idempotency_key=key(),
    )
    coupon.refresh_from_db()
    assert coupon.status == "used"
    back = sale_return(
        actor=manager, sale_id=sale.pk, lines=[(tea.pk, 1000)], reason="退", idempotency_key=key()
    )
    assert back.discount_fen == tea.discount_fen
    coupon.refresh_from_db()
    assert (coupon.status, coupon.sale_id, coupon.times_restored) == ("unused", None, 1)


def test_another_members_coupon_is_refused(shop, funded, cashier, owner, make_template):
    from huiyuan.ledger.tests.factories import member

    other = member(cashier, name="李四")
    template = make_template()
    theirs = coupon_issue(
        actor=owner, template_id=template.pk, member_id=other.pk, idempotency_key=key()
    )
    with pytest.raises(DomainError) as info:
        sell(cashier, funded, (item(shop.coffee, 2),), (theirs.code,), 4600)
    assert info.value.code == "coupon_not_members"


def test_a_reversal_restores_the_coupon(shop, funded, cashier, actors, coupon):
    from huiyuan.checkout.services import sale_reverse

    sale = sell(cashier, funded, (item(shop.coffee, 2),), (coupon.code,), 4600)
    sale_reverse(
        actor=actors[Role.STORE_MANAGER], sale_id=sale.pk, reason="录错", idempotency_key=key()
    )
    coupon.refresh_from_db()
    assert (coupon.status, coupon.sale_id) == ("unused", None)
