"""Issue 17 §2, §4, §6, §13 in the browser: a frozen member's counter pages show one status
badge and the blocked inputs disabled with the reason; Enter on the amount alone asks how the
customer pays; a cashier reverses a sale with a manager's authorisation on the spot; points
above the cap and an overpayment read as such; head office picks a store first."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from huiyuan.audit.models import AuditEvent
from huiyuan.cards import services as card_services
from huiyuan.checkout.models import Sale
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import balances
from huiyuan.members.services import member_freeze
from huiyuan.stores.tests.totp import code_for, enrol
from huiyuan.wallet.models import Refund
from tests.e2e.test_counter_money import PASSWORD, funded, log_in, shop  # noqa: F401 - fixtures

pytestmark = pytest.mark.e2e

SPEND_FROZEN = "消费已冻结：不能用储值和积分支付。"


@pytest.fixture(autouse=True)
def patient(page) -> None:
    page.set_default_timeout(30_000)  # the shared machine is slow under load


def test_a_frozen_members_counter_pages_show_one_badge_and_disabled_inputs(
    page,
    funded,  # noqa: F811
    shot,
) -> None:
    member_freeze(
        actor=funded["owner"],
        member_id=funded["member"].pk,
        earning=False,
        spending=True,
        reason="风控核查",
    )
    number = funded["card"].number
    log_in(page, "cashier")
    page.goto(f"/counter/sale/?q={number}")
    panel = page.locator('[data-testid="card-panel"]')
    expect(panel.locator('[data-testid="card-status"]')).to_have_count(1)
    expect(panel.locator('[data-testid="card-status"]')).to_have_text("已冻结（消费）")
    expect(panel).not_to_contain_text("正常")
    expect(page.locator("#id_points")).to_be_disabled()
    expect(page.locator("#id_balance")).to_be_disabled()
    expect(page.locator("#id_points-blocked")).to_have_text(SPEND_FROZEN)
    page.locator("#id_amount").fill("80")
    expect(page.locator('[data-testid="quote-payable"]')).to_have_text("¥80.00")
    expect(page.locator('[data-testid="fill-points"]')).to_have_count(0)
    expect(page.locator('[data-testid="submit"]')).to_be_enabled()  # cash still pays
    shot(page, "counter-sale-frozen")

    page.goto(f"/counter/basket/?q={number}")
    expect(page.locator('[data-testid="card-status"]')).to_have_count(1)
    expect(page.locator('[data-testid="card-status"]')).to_have_text("已冻结（消费）")

    page.goto(f"/counter/?q={number}")
    expect(page.locator('[data-testid="card-status"]')).to_have_text("已冻结（消费）")
    shot(page, "counter-hub-frozen")

    # The member page: one badge by the name (not 正常 and 已冻结), the card says the same.
    page.goto(f"/members/{funded['member'].pk}/")
    by_name = page.locator('[data-testid="member-name"]').locator("xpath=..").locator(".badge")
    expect(by_name).to_have_count(1)
    expect(by_name).to_have_text("冻结消费")
    expect(page.locator('[data-testid="member-card"] [data-testid="card-status"]')).to_have_text(
        "已冻结（消费）"
    )
    shot(page, "member-frozen")


def test_a_lost_card_shows_disabled_actions_with_the_reason(
    page,
    funded,  # noqa: F811
    shot,
) -> None:
    card_services.card_report_lost(
        actor=funded["cashier"], card_id=funded["card"].pk, reason="顾客来电"
    )
    log_in(page, "cashier")
    page.goto(f"/counter/?q={funded['card'].number}")
    expect(page.locator('[data-testid="card-status"]')).to_have_text("已挂失")
    tile = page.locator('[data-testid="tile-sale"]')
    expect(tile).to_have_attribute("aria-disabled", "true")
    expect(tile.locator('[data-testid="blocked-reason"]')).to_have_text(
        "此卡已挂失：请先解挂或补卡。"
    )
    shot(page, "counter-hub-lost")
    page.goto(f"/counter/sale/?q={funded['card'].number}")
    expect(page.locator('[data-testid="submit"]')).to_be_disabled()
    expect(page.locator("#sale-blocked")).to_have_text("此卡已挂失：请先解挂或补卡。")


def test_enter_on_the_amount_alone_asks_how_the_customer_pays(
    page,
    funded,  # noqa: F811
    shot,
) -> None:
    number = funded["card"].number
    log_in(page, "cashier")
    page.goto(f"/counter/sale/?q={number}")
    expect(page.locator("#id_amount")).to_be_focused()
    page.keyboard.type("1000")
    expect(page.locator('[data-testid="quote-external"]')).to_have_text("¥1,000.00")
    page.keyboard.press("Enter")

    confirm = page.locator('[data-testid="confirm-method"]')
    expect(confirm).to_contain_text("还需收款 ¥1,000.00，尚未选择收款方式。")
    assert Sale.objects.count() == 0
    expect(page.locator("#id_amount")).to_have_value("1000")
    shot(page, "counter-sale-confirm-method")
    page.locator("#id_amount").press("Enter")  # Enter again still asks
    expect(confirm).to_be_visible()
    assert Sale.objects.count() == 0

    confirm.locator('[data-testid="confirm-cash"]').click()
    expect(page.locator(".page-title")).to_have_text("消费小票")
    sale = Sale.objects.get()
    assert (sale.payable_fen, sale.paid_external_fen, sale.external_method) == (
        100000,
        100000,
        "cash",
    )


def test_the_quote_caps_points_and_shows_an_overpayment(
    page,
    funded,  # noqa: F811
    shot,
) -> None:
    log_in(page, "cashier")
    page.goto(f"/counter/sale/?q={funded['card'].number}")
    page.locator("#id_amount").fill("10")
    page.locator("#id_points").fill("800")
    expect(page.locator('[data-testid="quote-points"]')).to_have_text("-¥5.00")
    expect(page.locator('[data-testid="quote-points-cap"]')).to_have_text(
        "本单最多可用 500 积分：输入的 800 积分中超出部分不计入。"
    )
    expect(page.locator('[data-testid="quote-external"]')).to_have_text("¥5.00")
    shot(page, "counter-sale-points-cap")
    page.locator("#id_points").fill("")
    page.locator("#id_balance").fill("12")
    expect(page.locator('[data-testid="quote-overpaid"]')).to_have_text("¥2.00")
    expect(page.locator('[data-testid="quote-external"]')).to_have_count(0)
    shot(page, "counter-sale-overpaid")


def test_a_cashier_reverses_a_sale_with_the_managers_authorisation(
    page,
    funded,  # noqa: F811
    shot,
) -> None:
    sale = sale_quick(
        actor=funded["cashier"],
        data=QuickSaleInput(
            amount_fen=12000, card_id=funded["card"].pk, balance_fen=12000, external_method=""
        ),
        idempotency_key=uuid.uuid4().hex,
    )
    log_in(page, "cashier")
    page.goto(f"/sales/{sale.pk}/")
    page.locator('[data-testid="reverse-toggle"]').click()
    form = page.locator('[data-testid="reverse-form"]')
    expect(form.locator('[data-testid="reverse-needs-manager"]')).to_contain_text("店长")
    form.locator('[name="reason"]').fill("顾客取消")
    form.locator('[name="manager_username"]').fill("manager")
    form.locator('[name="manager_password"]').fill("wrong-password")
    shot(page, "receipt-reverse-manager")
    form.locator('[data-testid="reverse-submit"]').click()
    expect(page.locator('[data-testid="reverse-error"]')).to_contain_text("店长用户名或密码错误")
    assert Sale.objects.get().status == "completed"

    form = page.locator('[data-testid="reverse-form"]')
    form.locator('[name="manager_username"]').fill("manager")
    form.locator('[name="manager_password"]').fill("Browser-pass-2026")
    form.locator('[data-testid="reverse-submit"]').click()
    expect(page.locator('[data-testid="reversed-stamp"]')).to_have_text("已冲正")
    assert balances(funded["card"])["principal"] == 50000
    event = AuditEvent.objects.get(action="sale.reversed")
    assert (event.actor.username, event.after["authorised_by"]) == ("cashier", "manager")
    shot(page, "receipt-reversed-by-cashier")


def test_a_cashier_refunds_with_the_managers_authorisation(
    page,
    funded,  # noqa: F811
    shot,
) -> None:
    """A cashier without wallet.refund gets the manager's fields instead of a 403: a wrong
    password says so in Chinese and changes nothing; the manager's refunds, and the audit
    names both."""
    log_in(page, "cashier")
    page.goto(f"/counter/refund/?card={funded['card'].number}")
    form = page.locator('[data-testid="refund-form"]')
    expect(form.locator('[data-testid="manager-authorisation"]')).to_contain_text("店长")
    form.locator("#id_amount").fill("100")
    form.locator("#id_reason").fill("顾客退卡")
    form.locator("#id_manager_username").fill("manager")
    form.locator("#id_manager_password").fill("wrong-password")
    form.locator('[data-testid="submit"]').click()
    form = page.locator('[data-testid="refund-form"]')
    expect(form.locator(".invalid-feedback")).to_contain_text("店长用户名或密码错误。")
    expect(form.locator("#id_manager_password")).to_have_value("")  # never sent back
    shot(page, "h5_counter-refund-manager-wrong")
    assert balances(funded["card"]) == {"principal": 50000, "bonus": 5000, "points": 1000}
    assert not Refund.objects.exists()

    form.locator("#id_manager_password").fill(PASSWORD)
    form.locator('[data-testid="submit"]').click()
    expect(page.locator(".alert-success")).to_contain_text("授权店长：manager。")
    assert balances(funded["card"]) == {"principal": 40000, "bonus": 4000, "points": 1000}
    event = AuditEvent.objects.get(action="wallet.refunded")
    assert (event.actor.username, event.after["authorised_by"]) == ("cashier", "manager")
    shot(page, "h5_counter-refund-authorised")


def test_head_office_picks_a_store_before_the_counter_form(
    page,
    funded,  # noqa: F811
    staff,
    shot,
) -> None:
    device = enrol(staff[Role.OWNER])[0]  # the owner signs in with a second factor
    page.goto("/login/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.fill("#id_code", code_for(device))
    page.click('[data-testid="verify-form"] button[type=submit]')
    expect(page.locator(".page-title")).to_have_text("概览")
    page.goto("/counter/sale/")
    picker = page.locator('[data-testid="store-picker"]')
    if picker.count() == 0:  # the owner starts at a store: switch to all stores first
        page.locator(".hy-store-switch").click()
        page.locator('[data-testid="switch-all-stores"]').click()
        page.wait_for_load_state("load")
    expect(picker).to_be_visible()
    expect(page.locator("#sale-form")).to_have_count(0)
    shot(page, "counter-store-picker")
    picker.locator('[data-testid="pick-store"]').first.click()
    expect(page.locator("#sale-form")).to_be_visible()
