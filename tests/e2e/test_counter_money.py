"""The counter's money in the browser: recharge with a package, a sale paid by balance and
points with its receipt and reversal, and a lost card reissued with everything on it."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from huiyuan.cards import services as card_services
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import card_type, default_rule
from huiyuan.members import services as member_services
from huiyuan.members.services import MemberInput
from huiyuan.points.services import points_adjust
from huiyuan.tiers.services import tier_create
from huiyuan.wallet.models import RechargePackage
from huiyuan.wallet.services import recharge_package_create, wallet_recharge

pytestmark = pytest.mark.e2e

PASSWORD = "Browser-pass-2026"


@pytest.fixture
def shop(staff, actors, stores):
    """A chain with a card type, packages, an earn rule and one member with a card."""
    for person in staff.values():
        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
    owner, cashier = actors[Role.OWNER], actors[Role.CASHIER]
    default_rule(owner)
    tier_create(actor=owner, code="base", name="普通会员", level=1)
    ctype = card_type(owner, name="金卡·储值卡", validity_months=36)
    for pay, bonus in ((20000, 1000), (50000, 5000), (100000, 15000)):
        recharge_package_create(
            actor=owner, name=f"充{pay // 100}送{bonus // 100}", pay_fen=pay, bonus_fen=bonus
        )
    member = member_services.member_register(
        actor=cashier,
        data=MemberInput(name="张三丰", mobile="13812345678", region="上海市"),
        channel="store",
    )
    card = card_services.card_issue(
        actor=cashier, card_type_id=ctype.pk, member_id=member.pk, number="6200880012345678"
    )
    return {"member": member, "card": card, "owner": owner, "cashier": cashier}


@pytest.fixture
def funded(shop):
    """The card with ¥500 principal, ¥50 bonus and 1,000 points."""
    package = RechargePackage.objects.get(pay_fen=50000)
    wallet_recharge(
        actor=shop["cashier"],
        card_id=shop["card"].pk,
        amount_fen=50000,
        method="wechat",
        package_id=package.pk,
        idempotency_key=uuid.uuid4().hex,
    )
    points_adjust(
        actor=shop["owner"],
        card_id=shop["card"].pk,
        delta=1000,
        reason="开卡礼",
        idempotency_key=uuid.uuid4().hex,
    )
    return shop


def log_in(page, username: str = "manager") -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    # A cashier lands at the counter (刷卡), everyone else on the dashboard.
    expect(page.locator(".page-title")).to_have_text("刷卡" if username == "cashier" else "概览")


def card_block(page, number: str):
    return page.locator(f'[data-testid="member-card"][data-card="{number}"]')


def test_recharge_with_a_package(page, shop, shot) -> None:
    log_in(page)
    page.goto(f"/members/{shop['member'].pk}/")
    block = card_block(page, shop["card"].number)
    expect(block.locator('[data-testid="principal"]')).to_have_text("¥0.00")
    block.locator('[data-testid="action-recharge"]').click()

    expect(page.locator(".page-title")).to_have_text("储值充值")
    expect(page.locator("#id_amount")).to_be_focused()
    page.locator("[data-package]", has_text="充500送50").click()
    expect(page.locator("#id_amount")).to_have_value("500.00")
    expect(page.locator('[data-testid="bonus-hint"]')).to_contain_text("送 ¥50.00")
    page.locator("label", has_text="微信支付").click()
    shot(page, "counter-recharge")
    page.locator("#id_amount").press("Enter")

    expect(page.locator('[data-testid="member-name"]')).to_have_text("张三丰")
    expect(page.locator(".hy-messages")).to_contain_text("充值 ¥500.00，赠送 ¥50.00")
    block = card_block(page, shop["card"].number)
    expect(block.locator('[data-testid="principal"]')).to_have_text("¥500.00")
    expect(block.locator('[data-testid="bonus"]')).to_have_text("¥50.00")
    expect(page.locator('[data-testid="ledger"]')).to_contain_text("充值赠送")
    page.locator('a[href="#money-lots"]').click()
    expect(page.locator('[data-testid="lots"]')).to_contain_text("¥50.00")
    page.get_by_role("tab", name="流水").click()
    page.wait_for_timeout(300)
    shot(page, "member-money")


def test_quick_sale_by_balance_and_points_then_reversal(page, funded, shot) -> None:
    number = funded["card"].number
    log_in(page)
    page.goto("/counter/sale/")
    expect(page.locator('[data-testid="scan-input"]')).to_be_focused()
    page.keyboard.type(number)
    page.keyboard.press("Enter")

    expect(page.locator('[data-testid="card-panel"]')).to_contain_text("张三丰")
    expect(page.locator("#id_amount")).to_be_focused()
    page.keyboard.type("120")
    page.locator("#id_category").fill("92#汽油")
    expect(page.locator('[data-testid="quote-payable"]')).to_have_text("¥120.00")
    page.locator('[data-testid="fill-points"]').click()  # at most half the bill: 1,000 held
    expect(page.locator("#id_points")).to_have_value("1000")
    expect(page.locator('[data-testid="quote-points"]')).to_have_text("-¥10.00")
    page.locator('[data-testid="fill-balance"]').click()
    expect(page.locator("#id_balance")).to_have_value("110.00")
    expect(page.locator('[data-testid="quote-external"]')).to_have_text("¥0.00")
    shot(page, "counter-sale")
    page.locator("#id_balance").press("Enter")

    expect(page.locator(".page-title")).to_have_text("消费小票")
    receipt = page.locator('[data-testid="receipt"]')
    expect(receipt.locator('[data-testid="r-payable"]')).to_have_text("¥120.00")
    expect(receipt.locator('[data-testid="r-principal"]')).to_have_text("¥110.00")
    expect(receipt.locator('[data-testid="r-points"]')).to_have_text("¥10.00")
    expect(receipt.locator('[data-testid="r-earned"]')).to_have_text("+110")
    expect(receipt.locator('[data-testid="after-principal"]')).to_have_text("¥390.00")
    expect(receipt.locator('[data-testid="after-points"]')).to_have_text("110")
    expect(receipt.locator('[data-testid="r-steps"]')).to_contain_text("实付 ¥110.00")
    shot(page, "receipt")

    page.locator('[data-testid="reverse-toggle"]').click()
    page.fill('[data-testid="reverse-form"] [name="reason"]', "顾客退货")
    page.locator('[data-testid="reverse-submit"]').click()
    expect(page.locator('[data-testid="reversed-stamp"]')).to_have_text("已冲正")
    expect(page.locator('[data-testid="now-principal"]')).to_have_text("¥500.00")
    expect(page.locator('[data-testid="now-bonus"]')).to_have_text("¥50.00")
    expect(page.locator('[data-testid="now-points"]')).to_have_text("1000")
    expect(page.locator('[data-testid="reverse-form"]')).to_have_count(0)
    shot(page, "receipt-reversed")

    page.goto(f"/members/{funded['member'].pk}/")
    block = card_block(page, number)
    expect(block.locator('[data-testid="principal"]')).to_have_text("¥500.00")
    expect(block.locator('[data-testid="points"]')).to_have_text("1000")
    expect(page.locator('[data-testid="ledger"]')).to_contain_text("消费冲正")


def test_report_lost_and_reissue(page, funded, shot) -> None:
    old = funded["card"].number
    log_in(page)
    page.goto(f"/members/{funded['member'].pk}/")
    card_block(page, old).locator('[data-testid="action-lost"]').click()
    expect(page.locator(".page-title")).to_have_text("挂失")
    page.keyboard.type("顾客钱包丢失")
    page.keyboard.press("Enter")

    block = card_block(page, old)
    expect(block).to_have_attribute("data-status", "lost")
    expect(block.locator('[data-testid="card-status"]')).to_contain_text("挂失")
    shot(page, "card-lost")

    block.locator('[data-testid="action-reissue"]').click()
    expect(page.locator(".page-title")).to_have_text("补卡")
    expect(page.locator(".hy-balances").first).to_contain_text("¥500.00")
    page.keyboard.type("6200880099990001")
    page.fill("#id_reason", "丢失补卡")
    shot(page, "card-reissue")
    page.locator('[data-testid="submit"]').click()

    expect(page.locator(".hy-messages")).to_contain_text("6200880099990001")
    new = card_block(page, "6200880099990001")
    expect(new).to_have_attribute("data-status", "active")
    expect(new.locator('[data-testid="principal"]')).to_have_text("¥500.00")
    expect(new.locator('[data-testid="bonus"]')).to_have_text("¥50.00")
    expect(new.locator('[data-testid="points"]')).to_have_text("1000")
    void = card_block(page, old)
    expect(void).to_have_attribute("data-status", "void")
    expect(void.locator('[data-testid="card-status"]')).to_contain_text("作废")
    expect(void.locator('[data-testid="principal"]')).to_have_text("¥0.00")
    shot(page, "card-reissued")
