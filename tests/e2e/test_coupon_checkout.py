"""Coupons in the browser: the marketer creates a 满减 template (满¥50减¥10) in the console and
issues it to 张三丰 by card number, then to a saved segment (旗舰店会员, chosen with its live
member count; a batch in the background, with its progress bar); at 收银 the cashier scans
the card and two lattes, sees the coupons and the proposed combination, takes it, and
completes the sale at ¥46.00 with the coupon's reason on the line; the coupon is used. No
CSP violation. Screenshots: ``h1_coupon-*.png``."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from huiyuan.cards import services as card_services
from huiyuan.catalog import services as catalog
from huiyuan.checkout.models import Sale
from huiyuan.core.permissions import Role
from huiyuan.coupons.models import Coupon, IssueBatch
from huiyuan.coupons.tasks import run_issue_batch
from huiyuan.ledger.tests.factories import card_type, default_rule
from huiyuan.members import services as member_services
from huiyuan.members.models import Member
from huiyuan.members.services import MemberInput
from huiyuan.segments.models import Segment
from huiyuan.segments.services import segment_create

pytestmark = pytest.mark.e2e

PASSWORD = "Browser-pass-2026"
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def shop(staff, actors, stores):
    for person in staff.values():
        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
    owner, cashier = actors[Role.OWNER], actors[Role.CASHIER]
    default_rule(owner)
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
    member = member_services.member_register(
        actor=cashier, data=MemberInput(name="张三丰", mobile="13812345678"), channel="store"
    )
    ctype = card_type(owner, name="金卡", validity_months=36)
    segment_create(actor=owner, name="旗舰店会员", definition={"stores": [stores[0].pk]})
    segment_create(actor=owner, name="东城店会员", definition={"stores": [stores[1].pk]})
    return card_services.card_issue(
        actor=cashier, card_type_id=ctype.pk, member_id=member.pk, number="6200880012345678"
    )


def login(page, username: str) -> None:
    page.goto("/login/")
    page.wait_for_load_state("load")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def test_create_a_threshold_coupon_issue_it_and_use_it_at_the_basket(
    page, browser, live_server, shop, shot, settings
) -> None:
    # The batch goes to the worker's queue (tests otherwise run tasks inline).
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    page.set_default_timeout(30_000)  # a busy machine: the first page may be slow
    page.add_init_script(WATCH_CSP)
    login(page, "marketer")
    page.locator('[data-testid="nav-coupon-templates"]').click()
    page.wait_for_load_state("load")
    page.locator('[data-testid="coupon-template-new"]').click()
    page.wait_for_load_state("load")
    page.fill('[data-testid="tpl-name"]', "满50减10")
    page.select_option('[data-testid="tpl-kind"]', "threshold")
    page.fill('[data-testid="tpl-amount"]', "10")
    page.fill('[data-testid="tpl-min_spend"]', "50")
    page.fill('[data-testid="tpl-valid_from"]', "2020-01-01")
    page.fill('[data-testid="tpl-valid_to"]', "2099-12-31")
    page.fill('[data-testid="tpl-per_member_limit"]', "0")
    shot(page, "h1_coupon-template-form")
    page.locator('[data-testid="coupon-template-save"]').click()
    page.wait_for_load_state("load")
    expect(page.locator(".page-title")).to_contain_text("满50减10")

    page.fill('[data-testid="issue-member"]', shop.number)
    page.locator('[data-testid="coupon-issue"]').click()
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="stat-issued"]')).to_have_text("1")
    coupon = Coupon.objects.get()
    expect(page.locator('[data-testid="coupon-code"]').first).to_have_text(coupon.code)

    # The same template to a saved segment, in the background: the choice shows each
    # segment's members now.
    segment_choice = page.locator('[data-testid="batch-segment"]')
    expect(segment_choice).to_contain_text("旗舰店会员 · 1 位会员")
    expect(segment_choice).to_contain_text("东城店会员 · 0 位会员")
    segment = Segment.objects.get(name="旗舰店会员")
    segment_choice.select_option(str(segment.pk))
    shot(page, "h1_coupon-batch-form")
    page.locator('[data-testid="coupon-batch-start"]').click()
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="batch-segment-name"]')).to_contain_text("旗舰店会员")
    expect(page.locator('[data-testid="batch-counts"]')).to_contain_text("0 / 1")
    batch = IssueBatch.objects.get()
    assert batch.filter["segment_id"] == segment.pk
    run_issue_batch.call(batch.pk)  # the worker (``huiyuan worker``)
    expect(page.locator('[data-testid="batch-counts"]')).to_contain_text("发放 1 张")
    expect(page.locator('[data-testid="batch-bar"]')).to_have_attribute("value", "100")
    member = Member.objects.get()
    assert list(
        Coupon.objects.filter(member=member).order_by("pk").values_list("channel", "source")
    ) == [("manual", ""), ("batch", f"batch:{batch.pk}")]
    shot(page, "h1_coupon-batch")
    page.locator('[data-testid="coupon-batch-back"]').click()
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="stat-issued"]')).to_have_text("2")
    expect(page.locator('[data-testid="stat-batch"]')).to_have_text("1")
    expect(page.locator('[data-testid="stat-manual"]')).to_have_text("1")
    expect(page.locator('[data-testid="stat-referral"]')).to_have_text("0")
    shot(page, "h1_coupon-template-detail")
    page.locator('[data-testid="nav-coupon-templates"]').click()
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="coupon-templates"]')).to_contain_text("满 ¥50.00 减 ¥10.00")
    shot(page, "h1_coupon-templates")
    assert page.evaluate("window.__csp") == []

    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    till = context.new_page()
    till.set_default_timeout(30_000)
    till.add_init_script(WATCH_CSP)
    login(till, "cashier")
    till.locator('[data-testid="nav-basket"]').click()
    till.wait_for_load_state("load")
    till.keyboard.type(shop.number)
    till.keyboard.press("Enter")
    expect(till.locator('[data-testid="card-panel"]')).to_contain_text("张三丰")
    till.wait_for_load_state("load")
    lines = till.locator('[data-testid="basket-line"]')
    for count in (1, 1):
        till.locator('[data-testid="basket-code"]').fill("6901234567892")
        till.keyboard.press("Enter")
        expect(lines).to_have_count(count)
    expect(lines.nth(0).locator('[data-testid="line-qty"]')).to_have_value("2")
    expect(till.locator('[data-testid="quote-payable"]')).to_have_text("¥56.00")
    expect(till.locator('[data-testid="coupon-row"]')).to_have_count(2)
    expect(till.locator('[data-testid="coupon-row"]').first).to_contain_text("满50减10")
    proposal = till.locator('[data-testid="coupon-proposal"]')
    expect(proposal).to_contain_text("¥10.00")
    till.locator('[data-testid="coupon-use-proposal"]').click()
    expect(till.locator('[data-testid="quote-payable"]')).to_have_text("¥46.00")
    expect(till.locator('[data-testid="line-reason"]').first).to_have_text(
        "优惠券「满50减10」满 ¥50.00 减 ¥10.00，优惠 ¥10.00"
    )
    expect(till.locator('[data-testid="coupon-toggle"]').first).to_be_checked()
    shot(till, "h1_coupon-basket")
    till.keyboard.press("F9")
    expect(till.locator(".page-title")).to_have_text("消费小票")
    expect(till.locator('[data-testid="r-payable"]')).to_have_text("¥46.00")
    sale = Sale.objects.get()
    assert (sale.discount_fen, sale.payable_fen) == (1000, 4600)
    used = Coupon.objects.get(status="used")
    assert (used.pk, used.sale_id) == (coupon.pk, sale.pk)  # same expiry: the lower id
    assert till.evaluate("window.__csp") == []
    context.close()
