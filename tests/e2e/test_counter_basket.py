"""收银 in the browser: a cashier scans a card, scans three products (one twice by barcode),
pays part with points and part with stored value, completes with F9 and sees the receipt
with the card number and the name masked, on 80 mm and 58 mm paper, then returns one item
with the manager's password and sees the balances restored; no CSP violation."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from huiyuan.cards import services as card_services
from huiyuan.catalog import services as catalog
from huiyuan.checkout.models import Sale, SaleLine, SaleReturn
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import balances, card_type, default_rule
from huiyuan.members import services as member_services
from huiyuan.members.services import MemberInput
from huiyuan.points.services import points_adjust
from huiyuan.wallet.services import wallet_recharge

pytestmark = pytest.mark.e2e

PASSWORD = "Browser-pass-2026"

WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def counter(staff, actors, stores):
    """Three products, and 张三丰's card with ¥500 principal and 1,000 points."""
    for person in staff.values():
        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
    owner, cashier = actors[Role.OWNER], actors[Role.CASHIER]
    default_rule(owner)
    drinks = catalog.category_create(actor=owner, code="drinks", name="饮品")
    food = catalog.category_create(actor=owner, code="food", name="食品")
    for sku, name, price, category, barcode in (
        ("A001", "拿铁", 2800, drinks, "6901234567892"),
        ("A002", "绿茶", 1250, drinks, "6901234567908"),
        ("B001", "蛋糕", 1990, food, ""),
    ):
        catalog.product_create(
            actor=owner,
            data=catalog.ProductInput(
                sku=sku, name=name, list_price_fen=price, category_id=category.pk, barcode=barcode
            ),
        )
    member = member_services.member_register(
        actor=cashier,
        data=MemberInput(name="张三丰", mobile="13812345678"),
        channel="store",
    )
    ctype = card_type(owner, name="金卡·储值卡", validity_months=36)
    card = card_services.card_issue(
        actor=cashier, card_type_id=ctype.pk, member_id=member.pk, number="6200880012345678"
    )
    wallet_recharge(
        actor=cashier,
        card_id=card.pk,
        amount_fen=50000,
        method="cash",
        idempotency_key=uuid.uuid4().hex,
    )
    points_adjust(
        actor=owner, card_id=card.pk, delta=1000, reason="开卡礼", idempotency_key=uuid.uuid4().hex
    )
    return card


def test_scan_a_card_and_three_items_pay_by_points_and_balance_print(page, counter, shot) -> None:
    page.add_init_script(WATCH_CSP)
    page.goto("/login/")
    page.fill("#id_username", "cashier")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    page.locator('[data-testid="nav-basket"]').click()
    expect(page.locator(".page-title")).to_have_text("收银")
    page.wait_for_load_state("load")  # the page's scripts bound the scan boxes

    expect(page.locator('[data-testid="scan-input"]')).to_be_focused()
    page.keyboard.type(counter.number)
    page.keyboard.press("Enter")
    expect(page.locator('[data-testid="card-panel"]')).to_contain_text("张三丰")
    page.wait_for_load_state("load")

    scan = page.locator('[data-testid="basket-code"]')
    expect(scan).to_be_focused()
    lines = page.locator('[data-testid="basket-line"]')
    for code, count in (("6901234567892", 1), ("6901234567908", 2), ("B001", 3)):
        page.keyboard.type(code)
        page.keyboard.press("Enter")
        expect(lines).to_have_count(count)
        expect(scan).to_have_value("")
    page.keyboard.type("6901234567892")  # the latte again: two of them
    page.keyboard.press("Enter")
    expect(lines).to_have_count(3)
    expect(lines.nth(0).locator('[data-testid="line-qty"]')).to_have_value("2")
    expect(page.locator('[data-testid="quote-payable"]')).to_have_text("¥88.40")
    expect(page.locator('[data-testid="quote-pay-cash"]')).to_have_text("¥88.40")

    page.locator('[data-testid="fill-points"]').click()
    expect(page.locator('[data-testid="quote-points"]')).to_have_text("-¥10.00")
    page.locator('[data-testid="pay-balance"]').fill("78.40")
    expect(page.locator('[data-testid="quote-balance"]')).to_have_text("-¥78.40")
    expect(page.locator('[data-testid="quote-external"]')).to_have_text("¥0.00")
    shot(page, "counter-basket")
    page.keyboard.press("F9")

    expect(page.locator(".page-title")).to_have_text("消费小票")
    receipt = page.locator('[data-testid="receipt"]')
    expect(receipt.locator('[data-testid="r-payable"]')).to_have_text("¥88.40")
    expect(receipt.locator('[data-testid="r-principal"]')).to_have_text("¥78.40")
    expect(receipt.locator('[data-testid="r-points"]')).to_have_text("¥10.00")
    expect(receipt.locator('[data-testid="r-card"]')).to_have_text("6***********5678")
    expect(receipt.locator('[data-testid="r-member"]')).to_have_text("张*丰")
    expect(receipt.locator('[data-testid="r-items"]')).to_contain_text("拿铁 × 2")
    expect(receipt.locator('[data-testid="after-principal"]')).to_have_text("¥421.60")
    sale = Sale.objects.get()
    assert (sale.paid_principal_fen, sale.points_used, sale.paid_external_fen) == (7840, 1000, 0)
    shot(page, "counter-basket-receipt")

    page.locator('[data-testid="paper-58"]').click()
    expect(page.locator('[data-testid="receipt-paper"]')).to_have_attribute(
        "data-receipt-paper", "58"
    )
    page.emulate_media(media="print")
    width = page.locator('[data-testid="receipt-paper"]').evaluate(
        "el => el.getBoundingClientRect().width"
    )
    assert 175 < width < 190, width  # 48 mm printable at 96 dpi ≈ 181 px
    shot(page, "counter-basket-receipt-58mm")
    page.emulate_media(media="screen")

    # One latte comes back, with the store manager's password entered at the counter.
    latte = SaleLine.objects.get(sale=sale, sku="A001")
    page.locator('[data-testid="return-toggle"]').click()
    page.fill(f"#id_qty_{latte.pk}", "1")
    page.fill("#id_reason", "顾客不要了")
    page.fill("#id_manager_username", "manager")
    page.fill("#id_manager_password", PASSWORD)
    page.locator('[data-testid="return-submit"]').click()
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="r-returned"]')).to_have_count(1)
    expect(page.locator('[data-testid="r-return"]')).to_contain_text("顾客不要了")
    back = SaleReturn.objects.get(sale=sale)
    # What one latte (¥28.00, no discount) took comes back: stored value and points offset.
    assert back.payable_fen == 2800
    assert back.principal_fen + back.points_offset_fen == 2800 and back.external_fen == 0
    now = balances(counter)
    assert now["principal"] == 42160 + back.principal_fen
    assert now["points"] == sale.points_earned + back.points_returned - back.points_taken_back
    shot(page, "counter-basket-return")
    assert page.evaluate("() => window.__csp || []") == []
