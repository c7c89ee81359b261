"""交接班 in the browser: a cashier opens a shift with a float, makes a cash sale at the
counter, closes the shift with the cash counted, sees the difference and prints the slip."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from huiyuan.catalog import services as catalog
from huiyuan.core.permissions import Role
from huiyuan.shifts.models import Shift

pytestmark = pytest.mark.e2e

PASSWORD = "Browser-pass-2026"

WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def counter(staff, actors):
    for person in staff.values():
        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
    owner = actors[Role.OWNER]
    food = catalog.category_create(actor=owner, code="food", name="食品")
    catalog.product_create(
        actor=owner,
        data=catalog.ProductInput(
            sku="B001", name="蛋糕", list_price_fen=1990, category_id=food.pk
        ),
    )


def test_open_sell_close_and_see_the_difference_on_the_slip(page, counter, shot) -> None:
    page.add_init_script(WATCH_CSP)
    page.goto("/login/")
    page.wait_for_load_state("load")
    page.fill("#id_username", "cashier")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)

    page.locator('[data-testid="nav-shift"]').click()
    page.wait_for_load_state("load")
    expect(page.locator(".page-title")).to_have_text("我的班次")
    page.fill("#id_float_fen", "200.00")
    shot(page, "shift-open")
    page.locator('[data-testid="open-submit"]').click()
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="float"]')).to_have_text("¥200.00")

    page.locator('[data-testid="nav-basket"]').click()
    page.wait_for_load_state("load")
    page.locator('[data-testid="basket-code"]').click()
    page.keyboard.type("B001")
    page.keyboard.press("Enter")
    expect(page.locator('[data-testid="basket-line"]')).to_have_count(1)
    expect(page.locator('[data-testid="quote-pay-cash"]')).to_have_text("¥19.90")
    page.keyboard.press("F9")
    expect(page.locator(".page-title")).to_have_text("消费小票")

    page.locator('[data-testid="nav-shift"]').click()
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="expected-cash"]')).to_have_text("¥219.90")
    page.fill("#id_cash", "219.00")
    shot(page, "shift-close")
    page.locator('[data-testid="close-submit"]').click()
    page.wait_for_load_state("load")

    expect(page.locator(".page-title")).to_have_text("交接班单")
    slip = page.locator('[data-testid="slip"]')
    expect(slip.locator('[data-testid="slip-expected-cash"]')).to_have_text("¥219.90")
    expect(slip.locator('[data-testid="slip-counted-cash"]')).to_have_text("¥219.00")
    expect(slip.locator('[data-testid="slip-difference-cash"]')).to_have_text("-¥0.90")
    shift = Shift.objects.get()
    assert (shift.status, shift.cash_difference_fen) == ("closed", -90)
    shot(page, "shift-slip")

    page.locator('[data-testid="paper-58"]').click()
    page.emulate_media(media="print")
    width = page.locator('[data-testid="receipt-paper"]').evaluate(
        "el => el.getBoundingClientRect().width"
    )
    assert 175 < width < 190, width
    shot(page, "shift-slip-58mm")
    assert page.evaluate("() => window.__csp || []") == []
