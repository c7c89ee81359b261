"""A walk-in sale that enrols the customer on the spot (M2): the cashier scans a product,
types the customer's mobile and name, ticks "本单同时登记为会员", completes; the receipt
names the new member (masked) with the points the sale earned on the new card, and the
member is in the member list. No CSP violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from huiyuan.catalog import services as catalog
from huiyuan.checkout.models import Sale
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import card_type, default_rule
from huiyuan.members.models import Member

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
    """One product (拿铁 ¥28.00), a named card type, 1 point per ¥1."""
    for person in staff.values():
        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
    owner = actors[Role.OWNER]
    default_rule(owner)
    card_type(owner, name="会员卡")
    drinks = catalog.category_create(actor=owner, code="drinks", name="饮品")
    catalog.product_create(
        actor=owner,
        data=catalog.ProductInput(
            sku="A001",
            name="拿铁",
            list_price_fen=2800,
            category_id=drinks.pk,
            barcode="6901234567892",
        ),
    )


def test_a_walk_in_customer_is_enrolled_with_the_sale(page, counter, shot) -> None:
    page.add_init_script(WATCH_CSP)
    page.set_default_timeout(30_000)  # two shared cores: the first page may be slow
    page.goto("/login/")
    page.fill("#id_username", "cashier")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto("/counter/basket/")
    page.wait_for_load_state("load")

    scan = page.locator('[data-testid="basket-code"]')
    scan.click()  # no card: the cashier goes straight to the products
    page.keyboard.type("6901234567892")
    page.keyboard.press("Enter")
    expect(page.locator('[data-testid="basket-line"]')).to_have_count(1)
    expect(page.locator('[data-testid="quote-payable"]')).to_have_text("¥28.00")

    enrol = page.locator('[data-testid="walk-in-enrol"]')
    enrol.locator('[data-testid="enrol-mobile"]').fill("13900001111")
    enrol.locator('[data-testid="enrol-name"]').fill("李小龙")
    enrol.locator('[data-testid="enrol-now"]').check()
    expect(enrol.locator('[data-testid="enrol-now"]')).to_be_checked()
    expect(page.locator('[data-testid="quote-joining"]')).to_be_visible()
    shot(page, "walk-in-enrol")
    page.locator('[data-testid="complete"]').click()

    expect(page.locator(".page-title")).to_have_text("消费小票")
    receipt = page.locator('[data-testid="receipt"]')
    expect(receipt.locator('[data-testid="r-payable"]')).to_have_text("¥28.00")
    expect(receipt.locator('[data-testid="r-member"]')).to_have_text("李*龙")
    expect(receipt.locator('[data-testid="r-earned"]')).to_have_text("+28")
    shot(page, "walk-in-enrol-receipt")

    member = Member.objects.get()
    sale = Sale.objects.get()
    assert (sale.member_id, sale.points_earned, sale.payable_fen) == (member.pk, 28, 2800)
    assert member.name == "李小龙"

    page.goto("/members/?q=13900001111")
    page.wait_for_load_state("load")
    expect(page.locator("table")).to_contain_text("李小龙")
    expect(page.locator("table")).to_contain_text("139****1111")
    shot(page, "walk-in-enrol-member-list")
    assert page.evaluate("() => window.__csp || []") == []
