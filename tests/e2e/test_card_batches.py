"""Pre-made card batches in the browser: the owner generates a batch, records the company's
payment and prints the sheet; a cashier activates one card at the counter for a member and
sees it on the member page; the batch report then shows it. No page breaks the CSP."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from huiyuan.cards import services as card_services
from huiyuan.core.permissions import Role
from huiyuan.members import services as member_services
from huiyuan.members.services import MemberInput
from huiyuan.stores.tests.totp import code_for, enrol

pytestmark = pytest.mark.e2e

PASSWORD = "Browser-pass-2026"

# Collect what the browser refuses under the policy, from the first script on.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def shop(staff, actors):
    for person in staff.values():
        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
    card_services.card_type_create(
        actor=actors[Role.OWNER],
        code="welfare",
        name="企业福利卡",
        category="multi",
        validity_months=12,
    )
    member = member_services.member_register(
        actor=actors[Role.CASHIER],
        data=MemberInput(name="王小明", mobile="13912340000"),
        channel="store",
    )
    return {"member": member, "device": enrol(staff[Role.OWNER])[0]}


def watch(page):
    page.add_init_script(WATCH_CSP)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    return page


def assert_clean(page) -> None:
    assert page.evaluate("() => window.__csp || []") == [], page.url
    assert page.errors == [], page.url


def test_generate_a_batch_then_activate_one_card_at_the_counter(
    page, browser, live_server, shop, shot
) -> None:
    owner = watch(page)
    owner.on("dialog", lambda dialog: dialog.accept())
    owner.goto("/login/")
    owner.fill("#id_username", "owner")
    owner.fill("#id_password", PASSWORD)
    owner.click("button[type=submit]")
    owner.fill("#id_code", code_for(shop["device"]))
    owner.click('[data-testid="verify-form"] button[type=submit]')
    expect(owner.locator(".page-title")).to_have_text("概览")

    # Generate: 3 cards of ¥100 for a company.
    owner.locator('[data-testid="nav-card-batches"]').click()
    expect(owner.locator(".page-title")).to_have_text("预制卡批次")
    owner.locator('[data-testid="batch-new"]').click()
    owner.fill("#id_buyer_company", "华夏科技有限公司")
    owner.fill("#id_buyer_contact", "李经理 13900000000")
    owner.select_option("#id_card_type", label="企业福利卡")
    owner.fill("#id_count", "3")
    owner.fill("#id_face_value", "100")
    shot(owner, "card-batch-form")
    owner.locator('[data-testid="batch-submit"]').click()
    expect(owner.locator('[data-testid="batch-state"]')).to_have_text("已生成（未售）")
    expect(owner.locator('[data-testid="count-generated"]')).to_have_text("3")
    assert_clean(owner)

    # The company pays: the face value is on the cards, held until activation.
    owner.locator('[data-testid="sell-submit"]').click()
    expect(owner.locator(".hy-messages")).to_contain_text("已收款 ¥300.00")
    expect(owner.locator('[data-testid="money-held"]')).to_have_text("¥300.00")
    expect(owner.locator('[data-testid="reconciled"]')).to_be_visible()
    batch_url = owner.url

    # The printable sheet opens in a new tab: number, code and a QR code per card.
    with owner.expect_popup() as popup:
        owner.locator('[data-testid="sheet-page-1"]').click()
    sheet = watch(popup.value)
    sheet.wait_for_load_state("load")
    first = sheet.locator("[data-testid^=sheet-card-]").first
    expect(first.locator("img.hy-sheet-qr")).to_be_visible()
    number = first.locator(".hy-sheet-number").inner_text().strip()
    code = first.locator(".hy-sheet-code").inner_text().strip()
    assert re.fullmatch(r"[0-9]{16}", number)
    assert re.fullmatch(r"[2-9A-Z]{4}(-[2-9A-Z]{4}){3}", code)
    assert sheet.evaluate("() => window.__csp || []") == []
    shot(sheet, "card-batch-sheet")
    sheet.close()

    # A cashier activates the card at the counter for the member, typing the code loosely.
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    cashier = watch(context.new_page())
    cashier.set_default_timeout(10_000)
    cashier.goto("/login/")
    cashier.fill("#id_username", "cashier")
    cashier.fill("#id_password", PASSWORD)
    cashier.click("button[type=submit]")
    expect(cashier.locator(".page-title")).to_have_text("刷卡")  # a cashier lands at the counter
    cashier.locator('[data-testid="nav-card-activate"]').click()
    expect(cashier.locator(".page-title")).to_have_text("激活预制卡")
    cashier.fill("#id_card", number)
    cashier.fill("#id_code", code.lower().replace("-", " "))
    cashier.fill("#id_member", "13912340000")
    shot(cashier, "card-activate")
    cashier.locator("#id_member").press("Enter")

    expect(cashier.locator('[data-testid="member-name"]')).to_have_text("王小明")
    expect(cashier.locator(".hy-messages")).to_contain_text(f"卡 {number} 已激活，储值 ¥100.00")
    block = cashier.locator(f'[data-testid="member-card"][data-card="{number}"]')
    expect(block).to_be_visible()
    expect(block.locator('[data-testid="principal"]')).to_have_text("¥100.00")
    assert_clean(cashier)
    shot(cashier, "card-activated-member")
    context.close()

    # The batch report counts it, still reconciled.
    owner.goto(batch_url)
    expect(owner.locator('[data-testid="batch-state"]')).to_have_text("部分激活")
    expect(owner.locator('[data-testid="count-activated"]')).to_have_text("1")
    expect(owner.locator('[data-testid="money-activated"]')).to_have_text("¥100.00")
    expect(owner.locator('[data-testid="money-held"]')).to_have_text("¥200.00")
    expect(owner.locator('[data-testid="reconciled"]')).to_be_visible()
    expect(owner.locator(f'[data-testid="batch-card-{number}"]')).to_contain_text("已激活")
    assert_clean(owner)
    shot(owner, "card-batch-detail")
