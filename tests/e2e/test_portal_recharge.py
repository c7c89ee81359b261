"""The member portal on a phone (390×844): recharge online through the sandbox provider
(the signed notification reaches our endpoint over HTTP; notified twice, the balance rises
once), then set and change the payment PIN."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from huiyuan.ledger.tests.factories import balances
from huiyuan.payments.models import OnlineOrder, PaymentNotification, PaymentPin, SandboxCharge
from huiyuan.selfservice import services
from tests.e2e.test_counter_money import log_in, shop  # noqa: F401 - fixture
from tests.e2e.test_portal import phone

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.PAYMENTS_PROVIDERS = ["sandbox"]


def sign_in(m) -> None:
    m.request.get("/m/signin/", timeout=90_000)
    m.goto("/m/signin/")
    m.fill("#id_mobile", "13812345678")
    m.fill("#id_password", "Member-pass-2026")
    m.click("button[value=signin]")
    m.wait_for_load_state("load")
    expect(m.locator(".pt-face-name")).to_have_text("张三丰")


def test_recharge_online_then_change_the_pin(browser, live_server, shop, shot) -> None:  # noqa: F811
    member, card = shop["member"], shop["card"]
    services._set_password(member.pk, "Member-pass-2026")
    m = phone(browser, live_server)
    sign_in(m)

    # 我的 → 在线充值: packages as at the counter
    m.goto("/m/me/")
    m.click("text=在线充值")
    m.wait_for_load_state("load")
    expect(m.locator(".pt-top-title")).to_have_text("充值")
    expect(m.locator('[data-testid="recharge-balance"]')).to_have_text("¥0.00")
    m.click(".rc-tile >> text=¥500.00")
    shot(m, "portal-recharge")
    m.click('[data-testid="recharge-submit"]')
    m.wait_for_load_state("load")

    # the sandbox's pay page: the payer presses 立即支付
    expect(m.locator('[data-testid="sandbox-amount"]')).to_have_text("¥500.00")
    shot(m, "portal-recharge-sandbox")
    m.click('[data-testid="sandbox-pay"]')
    m.wait_for_load_state("load")

    # back on our result page, once the notification arrived over HTTP
    result = m.locator('[data-testid="recharge-result"]')
    expect(result).to_have_attribute("data-status", "paid", timeout=20_000)
    expect(m.locator('[data-testid="recharge-after"]')).to_have_text("¥550.00")
    shot(m, "portal-recharge-done")
    order = OnlineOrder.objects.get()
    charge = SandboxCharge.objects.get()
    assert (order.status, charge.acknowledged) == ("paid", True)
    assert balances(card)["principal"] == 50_000 and balances(card)["bonus"] == 5_000

    # the sandbox notifies again: recorded as repeated, the balance rose once
    m.goto(f"/pay/sandbox/{order.number}/")
    m.click("text=再次发送通知")
    m.wait_for_load_state("load")
    expect(m.locator('[data-testid="sandbox-paid"]')).to_be_visible()
    assert list(PaymentNotification.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "accepted",
        "repeated",
    ]
    assert balances(card)["principal"] == 50_000 and balances(card)["bonus"] == 5_000

    # 支付密码: set it, then change it (a wrong current PIN is refused)
    m.goto("/m/me/")
    m.click("text=支付密码")
    m.wait_for_load_state("load")
    expect(m.locator('[data-testid="pin-status"]')).to_contain_text("您还没有设置支付密码")
    m.fill('[data-testid="pin-new"]', "135790")
    m.fill('[data-testid="pin-confirm"]', "135790")
    m.click('[data-testid="pin-submit"]')
    m.wait_for_load_state("load")
    expect(m.locator(".pt-flash")).to_have_text("支付密码已设置。")
    m.fill('[data-testid="pin-current"]', "000000")
    m.fill('[data-testid="pin-new"]', "246802")
    m.fill('[data-testid="pin-confirm"]', "246802")
    m.click('[data-testid="pin-submit"]')
    m.wait_for_load_state("load")
    expect(m.locator('[data-testid="pin-error"]')).to_have_text("当前支付密码错误。")
    shot(m, "portal-pin-error")
    m.fill('[data-testid="pin-current"]', "135790")
    m.fill('[data-testid="pin-new"]', "246802")
    m.fill('[data-testid="pin-confirm"]', "246802")
    m.click('[data-testid="pin-submit"]')
    m.wait_for_load_state("load")
    expect(m.locator(".pt-flash")).to_have_text("支付密码已修改。")
    shot(m, "portal-pin")
    assert PaymentPin.objects.get(member_id=member.pk).failures == 0

    # the console: the store's online recharges and the order's notifications
    m.context.close()
    page = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", base_url=live_server.url
    ).new_page()
    log_in(page)
    page.click('[data-testid="nav-payment-orders"]')
    page.wait_for_load_state("load")
    table = page.locator('[data-testid="payment-orders"]')
    expect(table).to_contain_text(order.number)
    expect(table.locator('[data-testid="order-status"]')).to_have_text("已收款")
    shot(page, "console-payment-orders")
    page.click(f"text={order.number}")
    page.wait_for_load_state("load")
    notes = page.locator('[data-testid="order-notifications"] tbody tr')
    expect(notes).to_have_count(2)
    shot(page, "console-payment-order")

    # the counter asks for the PIN: a wrong one is refused, nothing is charged
    page.goto(f"/counter/sale/?q={card.number}")
    page.fill("#id_amount", "100")
    page.fill("#id_balance", "100")
    page.fill('[data-testid="sale-pin"]', "000000")
    page.click('[data-testid="submit"]')
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="pin-error"]')).to_contain_text("支付密码错误")
    shot(page, "console-counter-pin")
    assert balances(card)["principal"] == 50_000
    page.fill('[data-testid="sale-pin"]', "246802")
    page.click('[data-testid="submit"]')
    page.wait_for_load_state("load")
    expect(page).to_have_url(re.compile(r"/sales/\d+/$"))
    assert balances(card)["principal"] == 40_000
