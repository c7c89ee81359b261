"""Pay released referral commission in the browser: 推荐有礼 → 佣金发放 lists what 张三丰 is
owed for 李四's purchase, the manager confirms, and the amount lands in 张三丰's stored value
as bonus (赠送金); the list is then empty."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from huiyuan.catalog import services as catalog
from huiyuan.checkout.services import BasketSaleInput, ExternalPayment, SaleLineInput, sale_complete
from huiyuan.events.dispatch import events_dispatch
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.members.services import MemberInput, member_register
from huiyuan.referrals.models import ReferralCommission
from huiyuan.referrals.services import PolicyInput, commissions_release_run, policy_update
from tests.e2e.test_counter_money import log_in, shop  # noqa: F401 - the shop fixture

pytestmark = pytest.mark.e2e


def test_a_manager_pays_released_commission(page, shop, shot) -> None:  # noqa: F811
    owner, cashier = shop["owner"], shop["cashier"]
    policy_update(actor=owner, data=PolicyInput(levels=1, level1_bp=500, hold_days=7))
    referee = member_register(
        actor=cashier,
        data=MemberInput(name="李四", mobile="13912345678", referrer_code=shop["member"].code),
        channel="store",
    )
    referee_card = card(cashier, owner, holder=referee)
    product = catalog.product_create(
        actor=owner, data=catalog.ProductInput(sku="GOODS", name="商品", list_price_fen=10000)
    )
    sale = sale_complete(
        actor=cashier,
        data=BasketSaleInput(
            lines=(SaleLineInput(product_id=product.pk, quantity_milli=1000),),
            card_id=referee_card.pk,
            payments=(ExternalPayment("cash", 10000),),
        ),
        idempotency_key=key(),
    )
    events_dispatch()
    credit = ReferralCommission.objects.get(sale_id=sale.pk)
    assert credit.amount_fen == 500 and credit.release_on is not None
    commissions_release_run(now=dt.datetime.combine(credit.release_on, dt.time(12), dt.UTC))

    page.request.get("/login/", timeout=90_000)  # the first request is slow on a busy machine
    log_in(page)
    page.goto("/referrals/")
    page.locator('[data-testid="nav-referral-payouts"]').click()
    expect(page.locator(".page-title")).to_have_text("佣金发放")
    row = page.locator('[data-testid="owed-row"]')
    expect(row).to_have_count(1)
    expect(row).to_contain_text("张三丰")
    expect(row.locator('[data-testid="owed-amount"]')).to_have_text("¥5.00")
    shot(page, "referral-payouts")
    row.locator('[data-testid="pay"]').click()
    expect(page.locator('[data-testid="payout-amount"]')).to_have_text("¥5.00")
    expect(page.locator('[data-testid="payout-rows"]')).to_contain_text("李四")
    shot(page, "referral-payout-confirm")
    page.locator('[data-testid="confirm-payout"]').click()
    expect(page.locator(".hy-messages")).to_contain_text(
        f"已将佣金 ¥5.00 以赠送金存入卡 {shop['card'].number}"
    )
    expect(page.locator('[data-testid="owed-row"]')).to_have_count(0)
    expect(page.locator('[data-testid="payouts"]')).to_contain_text("¥5.00")
    assert balances(shop["card"])["bonus"] == 500
