"""The counter's one box in the browser: each kind of input (card number, mobile, member
number, name, initials, last four digits, the portal's rotating code) opens the card;
initials matching two members offer both; a pick opens the card; a mobile nobody has offers
registration with the mobile filled in."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from huiyuan.cards import services as card_services
from huiyuan.members.services import MemberInput, member_register
from huiyuan.selfservice.cardcode import card_code_now
from tests.e2e.test_counter_money import log_in, shop  # noqa: F401 - the shop fixture

pytestmark = pytest.mark.e2e


def test_initials_then_a_pick_then_an_unknown_mobile(page, shop, shot) -> None:  # noqa: F811
    twin = member_register(
        actor=shop["cashier"],
        data=MemberInput(name="张三风", mobile="13812349999"),
        channel="store",
    )
    other = card_services.card_issue(
        actor=shop["cashier"], card_type_id=shop["card"].card_type_id, member_id=twin.pk
    )
    log_in(page, "cashier")
    page.goto("/counter/recharge/")
    page.fill('[data-testid="scan-input"]', "zsf")
    page.keyboard.press("Enter")
    choices = page.locator('[data-testid="scan-choice"]')
    expect(choices).to_have_count(2)
    expect(page.locator('[data-testid="scan-offers"]')).to_contain_text("找到 2 位会员")
    shot(page, "counter-one-box-choices")

    choices.filter(has_text="张三风").click()
    expect(page.locator('[data-testid="card-panel"]')).to_have_attribute("data-card", other.number)

    page.goto("/counter/recharge/")
    page.fill('[data-testid="scan-input"]', "+86 139 0000 2222")
    page.keyboard.press("Enter")
    page.locator('[data-testid="scan-register"]').click()
    expect(page.locator("#id_mobile")).to_have_value("13900002222")


def test_each_kind_of_input_opens_the_card(page, shop, shot) -> None:  # noqa: F811
    """Card number, full mobile (spaced, with +86), member number, name, initials, the last
    four digits of the mobile, and the member portal's rotating code all open 张三丰's card;
    a number nobody has says so."""
    member, number = shop["member"], shop["card"].number
    log_in(page, "cashier")
    inputs = [
        number,
        "138 1234 5678",
        "+8613812345678",
        member.code,
        "张三丰",
        "zsf",
        "5678",
        card_code_now(shop["card"].pk),
    ]
    for text in inputs:
        page.goto("/counter/")
        page.fill('[data-testid="scan-input"]', text)
        page.keyboard.press("Enter")
        panel = page.locator('[data-testid="card-panel"]')
        expect(panel).to_have_attribute("data-card", number)
        expect(panel).to_contain_text("张三丰")
    shot(page, "h5_counter-one-box-card")
    page.goto("/counter/")
    page.fill('[data-testid="scan-input"]', "6200999900000000")
    page.keyboard.press("Enter")
    expect(page.locator('[data-testid="card-panel"]')).to_have_count(0)
    expect(page.locator('[data-testid="scan-error"]')).to_be_visible()
    shot(page, "h5_counter-one-box-unknown")
