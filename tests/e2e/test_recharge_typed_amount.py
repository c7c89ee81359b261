"""A recharge amount typed at the counter that is a package's price selects the package
(its bonus applies); any other amount says that no bonus applies."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from huiyuan.ledger.tests.factories import balances
from tests.e2e.test_counter_money import log_in, shop  # noqa: F401 - the shop fixture

pytestmark = pytest.mark.e2e


def test_typing_a_package_amount_selects_the_package(page, shop, shot) -> None:  # noqa: F811
    log_in(page)
    page.goto(f"/counter/recharge/?card={shop['card'].number}")
    amount = page.locator("#id_amount")
    hint = page.locator('[data-testid="bonus-hint"]')
    chip = page.locator("[data-package]", has_text="充500送50")

    amount.fill("300")
    expect(hint).to_have_text("没有这个金额的充值套餐：本次充值不送赠送金。")
    expect(page.locator("[data-package].active")).to_have_count(0)

    amount.fill("500")
    expect(chip).to_have_class("hy-chip active")
    expect(hint).to_contain_text("送 ¥50.00")
    shot(page, "counter-recharge-typed-package")

    page.locator("label", has_text="微信支付").click()
    amount.press("Enter")
    expect(page.locator(".hy-messages")).to_contain_text("充值 ¥500.00，赠送 ¥50.00")
    assert balances(shop["card"]) == {"principal": 50000, "bonus": 5000, "points": 0}
