"""The store-operations reports in the browser: a manager's day of shifts, the monthly
commission report and the chain settlement, in Chinese, with no CSP violation."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from playwright.sync_api import expect

from huiyuan.catalog import services as catalog
from huiyuan.checkout.services import (
    BasketSaleInput,
    ExternalPayment,
    QuickSaleInput,
    SaleLineInput,
    sale_complete,
    sale_quick,
)
from huiyuan.commission.services import commission_rule_set
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import card
from huiyuan.shifts.services import shift_close, shift_open
from huiyuan.wallet.services import wallet_recharge

pytestmark = pytest.mark.e2e

PASSWORD = "Browser-pass-2026"


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def activity(staff, actors, stores):
    for person in staff.values():
        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
    owner, cashier = actors[Role.OWNER], actors[Role.CASHIER]
    drinks = catalog.category_create(actor=owner, code="drinks", name="饮品")
    coffee = catalog.product_create(
        actor=owner,
        data=catalog.ProductInput(
            sku="A001", name="拿铁", list_price_fen=2800, category_id=drinks.pk
        ),
    )
    commission_rule_set(
        actor=owner,
        kind="category",
        category_code="drinks",
        method="percent",
        rate_bp=500,
        idempotency_key=key(),
    )
    shift = shift_open(actor=cashier, float_fen=20000, idempotency_key=key())
    sale_complete(
        actor=cashier,
        data=BasketSaleInput(
            lines=(SaleLineInput(product_id=coffee.pk, quantity_milli=3000),),
            payments=(ExternalPayment("cash", 8400),),
            associate_id=staff[Role.CASHIER].pk,
        ),
        idempotency_key=key(),
    )
    shift_close(actor=cashier, shift_id=shift.pk, counted={"cash": 28300}, idempotency_key=key())
    c = card(cashier, owner)
    wallet_recharge(
        actor=cashier, card_id=c.pk, amount_fen=50000, method="cash", idempotency_key=key()
    )
    sale_quick(
        actor=dataclasses.replace(owner, store_id=stores[1].pk),
        data=QuickSaleInput(amount_fen=12000, card_id=c.pk, balance_fen=12000),
        idempotency_key=key(),
    )


def _login(page, username):
    page.set_default_timeout(30_000)  # reports on a loaded 2-core machine
    page.goto("/login/")
    page.wait_for_load_state("load")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def test_a_manager_sees_their_stores_day_commission_and_settlement(page, activity, shot) -> None:
    _login(page, "manager")
    page.goto("/shifts/day/")
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="shift-row"]')).to_have_count(1)
    expect(page.locator('[data-testid="total-diff"]')).to_have_text("-¥1.00")
    shot(page, "shifts-day")
    page.goto("/commission/")
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="commission-report"]')).to_contain_text("¥4.20")
    shot(page, "commission-report")
    page.goto("/settlement/")
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="settlement-stores"] tbody tr')).to_have_count(1)
    expect(page.locator('[data-testid="zero-check"]')).to_have_count(0)
    shot(page, "settlement-manager")


def test_a_chain_wide_viewer_sees_the_chain_and_its_zero_sum(page, activity, shot) -> None:
    _login(page, "marketer")  # chain-wide, no second factor
    page.goto("/settlement/")
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="zero-check"]')).to_contain_text("¥0.00")
    expect(page.locator('[data-testid="settlement-pairs"]')).to_contain_text("¥120.00")
    shot(page, "settlement-owner")
    page.goto("/commission/rules/")
    page.wait_for_load_state("load")
    shot(page, "commission-rules")
