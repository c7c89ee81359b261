"""次卡核销 in the browser: a count card sold at the checkout (through the service), then a
cashier scans the member's card on the 核销 page, uses one visit and sees the remaining uses
go from 10 to 9 — on the counter page, the package's page and the member page; a double
click uses one visit; no CSP violation."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from huiyuan.cards import services as card_services
from huiyuan.catalog import services as catalog
from huiyuan.checkout.services import BasketSaleInput, ExternalPayment, SaleLineInput, sale_complete
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import card_type
from huiyuan.members import services as member_services
from huiyuan.members.services import MemberInput, member_freeze
from huiyuan.packages import plans
from huiyuan.packages.models import MemberPackage, PackageItem
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
def sold(staff, actors, stores):
    """张三丰 bought a 游泳10次卡 (¥300) and a 私教课程 at the checkout."""
    for person in staff.values():
        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
    owner, cashier = actors[Role.OWNER], actors[Role.CASHIER]
    swim = catalog.product_create(
        actor=owner,
        data=catalog.ProductInput(
            sku="SWIM10", name="游泳10次卡", list_price_fen=30000, unit="session"
        ),
    )
    coach = catalog.product_create(
        actor=owner,
        data=catalog.ProductInput(sku="PT-8", name="私教课程", list_price_fen=100000),
    )
    plans.plan_create(
        actor=owner,
        data=plans.PlanInput(
            product_id=swim.pk,
            name="游泳10次卡",
            kind="count",
            items=[plans.ItemInput(name="游泳", uses=10)],
            validity_value=90,
        ),
    )
    plans.plan_create(
        actor=owner,
        data=plans.PlanInput(
            product_id=coach.pk,
            name="私教课程",
            kind="course",
            items=[plans.ItemInput(name="拉伸", uses=3), plans.ItemInput(name="力量", uses=5)],
            limit_count=1,
            refund_fee_fen=500,
        ),
    )
    member = member_services.member_register(
        actor=cashier, data=MemberInput(name="张三丰", mobile="13812345678"), channel="store"
    )
    ctype = card_type(owner, name="会员卡")
    card = card_services.card_issue(
        actor=cashier, card_type_id=ctype.pk, member_id=member.pk, number="6200880012345678"
    )
    sale_complete(
        actor=cashier,
        data=BasketSaleInput(
            lines=(
                SaleLineInput(product_id=swim.pk, quantity_milli=1000),
                SaleLineInput(product_id=coach.pk, quantity_milli=1000),
            ),
            card_id=card.pk,
            payments=(ExternalPayment("cash", 130000),),
        ),
        idempotency_key=uuid.uuid4().hex,
    )
    return card


def test_use_one_visit_and_see_the_remaining_uses_go_down(page, sold, shot) -> None:
    page.add_init_script(WATCH_CSP)
    page.goto("/login/")
    page.wait_for_load_state("load")
    page.fill("#id_username", "cashier")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)

    page.locator('[data-testid="nav-package-counter"]').click()
    page.wait_for_load_state("load")
    expect(page.locator(".page-title")).to_contain_text("次卡核销")
    page.locator("#id_q").fill(sold.number)
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    panel = page.locator('[data-testid="card-panel"]')  # the counter's one member panel
    expect(panel).to_contain_text("张三丰")
    expect(panel.locator('[data-testid="card-status"]')).to_have_attribute("data-state", "active")
    swim = page.locator('[data-testid="package"]', has_text="游泳10次卡")
    expect(swim.locator('[data-testid="remaining"]')).to_have_text("10")
    shot(page, "packages-counter")

    swim.locator('[data-testid="use-visit"]').dblclick()
    page.wait_for_load_state("load")
    expect(page.locator(".alert-success")).to_contain_text("游泳")
    swim = page.locator('[data-testid="package"]', has_text="游泳10次卡")
    expect(swim.locator('[data-testid="remaining"]')).to_have_text("9")
    package = MemberPackage.objects.get(name="游泳10次卡")
    assert PackageItem.objects.get(package=package).used == 1  # the double click used one
    shot(page, "packages-counter-used")

    swim.locator("h3 a").click()
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="uses"] tbody tr')).to_have_count(1)
    expect(page.locator('[data-testid="remaining"]')).to_have_text("9")
    shot(page, "packages-detail")

    page.goto(f"/members/{sold.member_id}/")
    page.wait_for_load_state("load")
    block = page.locator('[data-testid="member-package"]', has_text="游泳10次卡")
    expect(block.locator('[data-testid="member-package-remaining"]')).to_have_text("9")
    page.locator('[data-testid="member-packages"]').scroll_into_view_if_needed()
    shot(page, "packages-member")
    assert page.evaluate("window.__csp") == []


def test_plans_pages(page, sold, staff, shot) -> None:
    device, _codes = enrol(staff[Role.HQ_ADMIN])
    page.add_init_script(WATCH_CSP)
    page.goto("/login/")
    page.wait_for_load_state("load")
    page.fill("#id_username", "hq")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.fill("#id_code", code_for(device))
    page.click('[data-testid="verify-form"] button[type=submit]')
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto("/packages/plans/")
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="plans"] tbody tr')).to_have_count(2)
    shot(page, "packages-plans")
    page.locator('[data-testid="new-plan"]').click()
    page.wait_for_load_state("load")
    shot(page, "packages-plan-form")
    assert page.evaluate("window.__csp") == []


@pytest.mark.parametrize(
    ("state", "badge", "reason"),
    [
        ("frozen", "已冻结（消费）", "消费已冻结：不能用储值和积分支付。"),
        ("lost", "已挂失", "此卡已挂失：请先解挂或补卡。"),
    ],
)
def test_a_blocked_cards_visits_cannot_be_used(page, sold, actors, shot, state, badge, reason):
    """The 核销 page shows the counter's panel and state: the status badge, and every use
    button disabled with the reason; nothing is used."""
    owner = actors[Role.OWNER]
    if state == "frozen":
        member_freeze(
            actor=owner, member_id=sold.member_id, earning=False, spending=True, reason="争议"
        )
    else:
        card_services.card_report_lost(actor=owner, card_id=sold.pk, reason="顾客挂失")
    page.add_init_script(WATCH_CSP)
    page.goto("/login/")
    page.fill("#id_username", "cashier")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto(f"/packages/counter/?q={sold.number}")
    panel = page.locator('[data-testid="card-panel"]')
    expect(panel.locator('[data-testid="card-status"]')).to_contain_text(badge)
    expect(page.locator('[data-testid="blocked-reason"]')).to_contain_text(reason)
    buttons = page.locator('[data-testid="use-visit"]')
    expect(buttons).to_have_count(3)  # 游泳; 拉伸 and 力量
    for i in range(3):
        expect(buttons.nth(i)).to_be_disabled()
        expect(buttons.nth(i)).to_have_attribute("title", reason)
    shot(page, f"h5_packages-counter-{state}")
    assert sum(PackageItem.objects.values_list("used", flat=True)) == 0
    assert page.evaluate("window.__csp") == []
