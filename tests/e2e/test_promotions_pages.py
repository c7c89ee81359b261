"""促销 in the browser: head office publishes "92# 周三每升减0.30" through the form (weekday
checkboxes, ¥ amount, SKU list), sees it in the list and on its page, ends it; adds a
holiday to the calendar. No CSP violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from huiyuan.catalog import services as catalog
from huiyuan.checkout.models import Holiday, Promotion
from huiyuan.core.permissions import Role
from huiyuan.stores.tests.totp import code_for, enrol

pytestmark = pytest.mark.e2e

PASSWORD = "Browser-pass-2026"
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def fuel(staff, actors, stores):
    for person in staff.values():
        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
    owner = actors[Role.OWNER]
    top = catalog.category_create(actor=owner, code="fuel", name="油品")
    petrol = catalog.category_create(actor=owner, code="petrol", name="汽油", parent_id=top.pk)
    product = catalog.product_create(
        actor=owner,
        data=catalog.ProductInput(
            sku="FUEL-92", name="92#汽油", list_price_fen=789, unit="litre", category_id=petrol.pk
        ),
    )
    return product, enrol(staff[Role.OWNER])[0]


def test_publish_a_weekday_promotion_end_it_and_add_a_holiday(page, fuel, shot) -> None:
    page.add_init_script(WATCH_CSP)
    page.set_default_timeout(30_000)  # two shared cores: the first page may be slow
    page.goto("/login/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.fill("#id_code", code_for(fuel[1]))  # head office signs in with a second factor
    page.click('[data-testid="verify-form"] button[type=submit]')
    expect(page.locator(".page-title")).to_have_text("概览")
    page.locator('[data-testid="nav-promotions"]').click()
    page.wait_for_load_state("load")
    page.locator('[data-testid="promotion-new"]').click()
    page.wait_for_load_state("load")

    form = page.locator('[data-testid="promotion-form"]')
    form.locator("#id_code").fill("fuel92-wed")
    form.locator("#id_name").fill("92# 周三每升减0.30")
    form.get_by_label("每单位减价").check()
    form.locator("#id_value").fill("0.30")
    form.locator("#id_products").fill("FUEL-92")
    form.locator('[data-testid="weekdays"]').get_by_label("周三").check()
    shot(page, "promotion-form")
    form.locator('[data-testid="promotion-publish"]').click()

    expect(page.locator('[data-testid="promotion-value"]')).to_have_text("每单位减 ¥0.30")
    expect(page.locator('[data-testid="promotion-facts"]')).to_contain_text("92#汽油")
    expect(page.locator('[data-testid="promotion-facts"]')).to_contain_text("周三")
    promotion = Promotion.objects.get()
    assert (promotion.value, promotion.weekdays, promotion.product_ids) == (30, [3], [fuel[0].pk])
    shot(page, "promotion-detail")

    page.goto("/promotions/")
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="promotion-row"]')).to_have_count(1)
    expect(page.locator('[data-testid="promotion-row"]')).to_contain_text("周三")
    shot(page, "promotion-list")

    page.locator('[data-testid="promotion-row"] a').first.click()
    page.wait_for_load_state("load")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('[data-testid="promotion-end"]').click()
    expect(page.locator(".page-title [data-testid=state]")).to_have_text("已结束")
    promotion.refresh_from_db()
    assert promotion.effective_to is not None

    page.goto("/promotions/holidays/?year=2030")
    page.wait_for_load_state("load")
    holiday = page.locator('[data-testid="holiday-form"]')
    holiday.locator("#id_date").fill("2030-10-01")
    holiday.locator("#id_name").fill("国庆节")
    holiday.locator("button[type=submit]").click()
    expect(page.locator('[data-testid="holiday-row"]')).to_contain_text("国庆节")
    assert Holiday.objects.get().name == "国庆节"
    shot(page, "promotion-holidays")
    assert page.evaluate("() => window.__csp || []") == []
