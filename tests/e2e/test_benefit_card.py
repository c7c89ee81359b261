"""权益卡 in the browser: a cashier sells a benefit card (银卡月卡) at the counter, the card
panel then shows it with its last day, and the next sale's wash is 10% off with the card's
reason on the line; the card's page and the member page show what is active until when;
no CSP violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from huiyuan.benefits import plans
from huiyuan.benefits.models import MemberBenefit
from huiyuan.cards import services as card_services
from huiyuan.catalog import services as catalog
from huiyuan.checkout.models import Sale
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import card_type
from huiyuan.members import services as member_services
from huiyuan.members.services import MemberInput
from huiyuan.packages import plans as package_plans

pytestmark = pytest.mark.e2e

PASSWORD = "Browser-pass-2026"
# The live server's first request imports every URL module (the API builds its schemas):
# on a busy machine that takes longer than the default 10 s.
WARM_UP_MS = 120_000

WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def shop(staff, actors, stores):
    """A car-wash shop: 精洗 ¥40, and 银卡月卡 ¥30 (洗车 9折, 2 free washes a month)."""
    for person in staff.values():
        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
    owner, cashier = actors[Role.OWNER], actors[Role.CASHIER]
    wash = catalog.category_create(actor=owner, code="wash", name="洗车")
    catalog.product_create(
        actor=owner,
        data=catalog.ProductInput(
            sku="WASH", name="精洗", list_price_fen=4000, category_id=wash.pk
        ),
    )
    free = package_plans.plan_create(
        actor=owner,
        data=package_plans.PlanInput(
            product_id=catalog.product_create(
                actor=owner,
                data=catalog.ProductInput(sku="FREE-WASH", name="会员洗车", list_price_fen=0),
            ).pk,
            name="会员免费洗车",
            kind="period",
            items=[package_plans.ItemInput(name="洗车", uses=None)],
            validity_value=1,
            validity_unit="month",
            limit_count=2,
            limit_period="month",
        ),
    )
    plans.plan_create(
        actor=owner,
        data=plans.PlanInput(
            product_id=catalog.product_create(
                actor=owner,
                data=catalog.ProductInput(sku="VIP-M", name="银卡月卡", list_price_fen=3000),
            ).pk,
            code="SILVER",
            name="银卡月卡",
            term="month",
            category_discounts={"wash": 900},
            points_multiplier_pct=150,
            free_plan_id=free.pk,
            priority_text="预约优先",
        ),
    )
    member = member_services.member_register(
        actor=cashier, data=MemberInput(name="张三丰", mobile="13812345678"), channel="store"
    )
    ctype = card_type(owner, name="会员卡")
    return card_services.card_issue(
        actor=cashier, card_type_id=ctype.pk, member_id=member.pk, number="6200880012345678"
    )


def _scan_card(page, number: str) -> None:
    page.locator('[data-testid="nav-basket"]').click()
    expect(page.locator(".page-title")).to_have_text("收银")
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="scan-input"]')).to_be_focused()
    page.keyboard.type(number)
    page.keyboard.press("Enter")
    expect(page.locator('[data-testid="card-panel"]')).to_contain_text("张三丰")
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="basket-code"]')).to_be_focused()


def test_sell_a_benefit_card_and_see_the_discount_on_the_next_sale(page, shop, shot) -> None:
    page.add_init_script(WATCH_CSP)
    page.goto("/login/", timeout=WARM_UP_MS)
    page.fill("#id_username", "cashier")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)

    _scan_card(page, shop.number)
    expect(page.locator('[data-testid="panel-benefit"]')).to_have_count(0)
    page.keyboard.type("VIP-M")
    page.keyboard.press("Enter")
    expect(page.locator('[data-testid="basket-line"]')).to_have_count(1)
    expect(page.locator('[data-testid="quote-payable"]')).to_have_text("¥30.00")
    shot(page, "benefit-sell-at-counter")
    page.keyboard.press("F9")
    expect(page.locator(".page-title")).to_have_text("消费小票")
    benefit = MemberBenefit.objects.get()
    assert (benefit.status, benefit.paid_fen) == ("active", 3000)
    until = benefit.valid_until.isoformat()

    _scan_card(page, shop.number)
    expect(page.locator('[data-testid="panel-benefit"]')).to_contain_text("银卡月卡")
    expect(page.locator('[data-testid="panel-benefit"]')).to_contain_text(until)
    page.keyboard.type("WASH")
    page.keyboard.press("Enter")
    line = page.locator('[data-testid="basket-line"]')
    expect(line).to_have_count(1)
    expect(line.locator('[data-testid="line-reason"]')).to_contain_text(
        "权益卡「银卡月卡」洗车类再享9折，优惠 ¥4.00"
    )
    expect(page.locator('[data-testid="quote-discount"]')).to_have_text("-¥4.00")
    expect(page.locator('[data-testid="quote-payable"]')).to_have_text("¥36.00")
    shot(page, "benefit-next-sale-discount")
    page.keyboard.press("F9")
    expect(page.locator(".page-title")).to_have_text("消费小票")
    assert Sale.objects.order_by("-pk").first().payable_fen == 3600

    page.goto(f"/benefits/{benefit.pk}/")
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="benefit-privileges"]')).to_contain_text("会员免费洗车")
    expect(page.locator('[data-testid="benefit-until"]')).to_contain_text(until)
    shot(page, "benefit-card-page")

    page.goto(f"/members/{shop.member_id}/")
    page.wait_for_load_state("load")
    block = page.locator('[data-testid="member-benefit"]', has_text="银卡月卡")
    expect(block.locator('[data-testid="benefit-until"]')).to_contain_text(until)
    page.locator('[data-testid="member-benefits"]').scroll_into_view_if_needed()
    shot(page, "benefit-member-page")
    expect(page.locator('[data-testid="referral-code"]')).to_have_text(shop.member.code)
    page.locator('[data-testid="nav-referrals"]').click()
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="commissions"]')).to_be_visible()
    shot(page, "referrals-page")
    assert page.evaluate("() => window.__csp || []") == []


def test_plans_page(page, shop, shot, staff) -> None:
    from huiyuan.stores.tests.totp import code_for, enrol

    device, _codes = enrol(staff[Role.HQ_ADMIN])
    page.add_init_script(WATCH_CSP)
    page.goto("/login/", timeout=WARM_UP_MS)
    page.fill("#id_username", "hq")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.fill("#id_code", code_for(device))
    page.click('[data-testid="verify-form"] button[type=submit]')
    page.wait_for_url(lambda url: "/login/" not in url)
    page.locator('[data-testid="nav-benefit-plans"]').click()
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="benefit-plan"]')).to_have_count(1)
    shot(page, "benefit-plans")
    page.locator('[data-testid="new-benefit-plan"]').click()
    page.wait_for_load_state("load")
    shot(page, "benefit-plan-form")
    assert page.evaluate("() => window.__csp || []") == []
