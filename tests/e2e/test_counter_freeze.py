"""A frozen member at the counter, in the browser: the freeze shows before anything is
submitted, and a recharge with a package gets no bonus (docs/money-rules.md)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from huiyuan.ledger.tests.factories import balances
from huiyuan.members.services import member_freeze
from tests.e2e.test_counter_money import log_in, shop  # noqa: F401 - the shop fixture

pytestmark = pytest.mark.e2e


def test_recharge_page_shows_the_freeze_and_gives_no_bonus(page, shop, shot) -> None:  # noqa: F811
    member_freeze(
        actor=shop["owner"],
        member_id=shop["member"].pk,
        earning=True,
        spending=True,
        reason="风控核查",
    )
    log_in(page)
    page.goto(f"/counter/recharge/?card={shop['card'].number}")

    expect(page.locator('[data-testid="card-status"]')).to_have_text("已冻结（积分/消费）")
    expect(page.locator('[data-testid="panel-frozen"]')).to_contain_text("风控核查")
    warning = page.locator('[data-testid="no-bonus-warning"]')
    expect(warning).to_have_text("该会员已冻结积分：本次充值不送赠送金。")
    page.locator("[data-package]", has_text="充500送50").click()
    expect(page.locator("#id_amount")).to_have_value("500.00")
    expect(page.locator('[data-testid="bonus-hint"]')).to_have_text(
        "该会员已冻结积分：本次充值不送赠送金。"
    )
    page.locator("label", has_text="微信支付").click()
    shot(page, "counter-recharge-frozen")
    page.locator("#id_amount").press("Enter")

    expect(page.locator(".hy-messages")).to_contain_text("充值 ¥500.00")
    expect(page.locator(".hy-messages")).not_to_contain_text("赠送 ¥50.00")
    assert balances(shop["card"]) == {"principal": 50000, "bonus": 0, "points": 0}
