"""The counter's one box in the browser: initials matching two members offer both; a pick
opens the card; a mobile nobody has offers registration with the mobile filled in."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from huiyuan.cards import services as card_services
from huiyuan.members.services import MemberInput, member_register
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
