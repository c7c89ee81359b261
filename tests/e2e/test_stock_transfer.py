"""调拨 in the browser: head office sends goods from one store to another, the receiving
side confirms one less than was sent, and the difference stays on the transfer."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from huiyuan.catalog import services as catalog
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import key
from huiyuan.stock import services as stock
from huiyuan.stock.models import StockLevel
from huiyuan.stores.tests.totp import code_for, enrol

pytestmark = pytest.mark.e2e

PASSWORD = "Browser-pass-2026"


@pytest.fixture
def cake(staff, actors, stores):
    for person in staff.values():
        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
    owner = actors[Role.OWNER]
    product = catalog.product_create(
        actor=owner, data=catalog.ProductInput(sku="B001", name="蛋糕", list_price_fen=1990)
    )
    stock.purchase_receive(
        actor=owner,
        store_id=stores[0].pk,
        supplier="好味食品厂",
        lines=[stock.PurchaseLineInput(product.pk, 10_000, 850)],
        idempotency_key=key(),
    )
    return {"cake": product, "device": enrol(staff[Role.OWNER])[0]}


def test_send_and_receive_with_a_difference(page, cake, stores, shot) -> None:
    device, cake = cake["device"], cake["cake"]
    page.goto("/login/")
    page.wait_for_load_state("load")
    page.fill("#id_username", "owner")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.fill("#id_code", code_for(device))
    page.click('[data-testid="verify-form"] button[type=submit]')
    expect(page.locator(".page-title")).to_have_text("概览")

    page.goto("/stock/transfers/new/")
    page.wait_for_load_state("load")
    page.select_option("#id_from_store", str(stores[0].pk))
    page.select_option("#id_to_store", str(stores[1].pk))
    page.fill("#id_lines-0-product", "B001")
    page.fill("#id_lines-0-quantity", "6")
    page.get_by_role("button", name="发出").click()
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="transfer-status"]')).to_have_text("在途")
    page.fill(f'input[name="received-{cake.pk}"]', "5")
    page.fill("#id_note", "破损一件")
    shot(page, "stock-transfer-receiving")
    page.get_by_role("button", name="确认收货").click()
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="transfer-status"]')).to_have_text("已收货")
    shot(page, "stock-transfer-received")

    page.goto("/stock/settings/")
    page.wait_for_load_state("load")
    page.select_option("#id_below_zero", "refuse")
    page.locator('form:has(input[value="chain"]) button[type=submit]').click()
    page.wait_for_load_state("load")
    shot(page, "stock-settings")

    on_hand = dict(StockLevel.objects.filter(product=cake).values_list("store_id", "on_hand_milli"))
    assert on_hand == {stores[0].pk: 4000, stores[1].pk: 5000}
    assert stock.below_zero_policy(stores[0].pk) == "refuse"
