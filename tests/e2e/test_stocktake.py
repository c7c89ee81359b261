"""盘点 in the browser: a store manager receives goods (进货), starts a stocktake, enters
what was counted, posts it, and sees the variance in the stock on hand and the movements."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from huiyuan.catalog import services as catalog
from huiyuan.core.permissions import Role
from huiyuan.stock.models import Movement, StockLevel

pytestmark = pytest.mark.e2e

PASSWORD = "Browser-pass-2026"

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
    owner = actors[Role.OWNER]
    food = catalog.category_create(actor=owner, code="food", name="食品")
    return catalog.product_create(
        actor=owner,
        data=catalog.ProductInput(
            sku="B001", name="蛋糕", list_price_fen=1990, category_id=food.pk
        ),
    )


def test_receive_count_and_post_a_stocktake(page, shop, stores, shot) -> None:
    page.add_init_script(WATCH_CSP)
    page.goto("/login/")
    page.wait_for_load_state("load")
    page.fill("#id_username", "manager")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)

    # 进货: ten cakes at ¥8.50.
    page.goto("/stock/purchases/new/")
    page.wait_for_load_state("load")
    expect(page.locator(".page-title")).to_have_text("进货")
    page.fill("#id_supplier", "好味食品厂")
    page.fill("#id_lines-0-product", "B001")
    page.fill("#id_lines-0-quantity", "10")
    page.fill("#id_lines-0-unit_cost", "8.50")
    shot(page, "stock-purchase")
    page.get_by_role("button", name="确认入库").click()
    page.wait_for_load_state("load")
    expect(page.locator(".alert-success, .toast, [role=alert]").first).to_contain_text("已入库")

    # 盘点: start, count 8, post.
    page.get_by_role("link", name="盘点").click()
    page.wait_for_load_state("load")
    page.fill("#id_note", "月末盘点")
    page.locator('[data-testid="stocktake-start"]').click()
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="stocktake-status"]')).to_have_text("盘点中")
    row = page.locator('tr[data-sku="B001"]')
    expect(row.locator("td").nth(2)).to_have_text("10")
    page.locator('[data-testid="count-B001"]').fill("8")
    shot(page, "stock-stocktake-counting")
    page.locator('[data-testid="stocktake-post"]').click()
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="stocktake-status"]')).to_have_text("已过账")
    expect(page.locator('[data-testid="variance-B001"]')).to_have_text("-2")
    shot(page, "stock-stocktake-posted")

    # 库存查询: 8 on hand; the movements say why.
    page.get_by_role("link", name="库存查询").click()
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="on-hand"]').first).to_contain_text("8")
    shot(page, "stock-levels")
    page.get_by_role("link", name="出入库流水").click()
    page.wait_for_load_state("load")
    expect(page.locator("#movement-table tbody tr")).to_have_count(2)
    expect(page.locator("#movement-table")).to_contain_text("盘点差异")
    shot(page, "stock-movements")

    level = StockLevel.objects.get(store=stores[0], product=shop)
    assert level.on_hand_milli == 8000
    assert sorted(Movement.objects.values_list("kind", "quantity_milli")) == [
        ("purchase_in", 10_000),
        ("stocktake", -2000),
    ]
    assert page.evaluate("window.__csp") == []
