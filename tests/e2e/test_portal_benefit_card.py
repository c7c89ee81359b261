"""The member portal on a phone (390×844): a member buys a benefit card (银卡月卡) online
through the sandbox provider — the signed notification reaches our endpoint over HTTP and
opens the card through the benefits service — then sees it in force on 我的权益卡 with
its privileges, last day and free uses."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from huiyuan.benefits import plans, rules
from huiyuan.benefits.models import MemberBenefit
from huiyuan.catalog import services as catalog
from huiyuan.core.clock import local_today
from huiyuan.packages import plans as package_plans
from huiyuan.payments.models import OnlineOrder, SandboxCharge
from huiyuan.selfservice import services
from tests.e2e.test_counter_money import shop  # noqa: F401 - fixture
from tests.e2e.test_portal import phone
from tests.e2e.test_portal_recharge import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.PAYMENTS_PROVIDERS = ["sandbox"]


@pytest.fixture
def silver(shop):  # noqa: F811
    owner = shop["owner"]
    wash = catalog.category_create(actor=owner, code="wash", name="洗车")
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
    return plans.plan_create(
        actor=owner,
        data=plans.PlanInput(
            product_id=catalog.product_create(
                actor=owner,
                data=catalog.ProductInput(
                    sku="VIP-M", name="银卡月卡", list_price_fen=3000, category_id=wash.pk
                ),
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


def test_buy_a_benefit_card_online_and_see_it_active(browser, live_server, shop, silver, shot):  # noqa: F811
    member = shop["member"]
    services._set_password(member.pk, "Member-pass-2026")
    m = phone(browser, live_server)
    sign_in(m)

    # 我的 → 我的权益卡: no card yet, the plan on sale with its privileges and price
    m.goto("/m/me/")
    m.click("text=我的权益卡")
    m.wait_for_load_state("load")
    expect(m.locator(".pt-top-title")).to_have_text("我的权益卡")
    expect(m.locator('[data-testid="benefit-none"]')).to_be_visible()
    buy = m.locator('[data-testid="benefit-buy"]')
    expect(buy).to_contain_text("银卡月卡")
    expect(buy).to_contain_text("¥30.00")
    expect(buy).to_contain_text("洗车再享9折")
    shot(m, "portal-benefit-buy")
    m.click('[data-testid="benefit-submit"]')
    m.wait_for_load_state("load")

    # the sandbox's pay page: the payer presses 立即支付
    expect(m.locator('[data-testid="sandbox-amount"]')).to_have_text("¥30.00")
    m.click('[data-testid="sandbox-pay"]')
    m.wait_for_load_state("load")

    # back on our result page once the notification arrived over HTTP: the card is open
    result = m.locator('[data-testid="benefit-result"]')
    expect(result).to_have_attribute("data-status", "paid", timeout=20_000)
    expect(result).to_contain_text("开通权益卡")
    until = rules.valid_until(local_today(), "month")
    assert until is not None
    expect(m.locator('[data-testid="benefit-until"]')).to_have_text(f"有效期至 {until:%Y-%m-%d}")
    shot(m, "portal-benefit-paid")
    order = OnlineOrder.objects.get()
    assert (order.purpose, order.status, order.amount_fen) == ("benefit_buy", "paid", 3000)
    assert SandboxCharge.objects.get().acknowledged is True
    benefit = MemberBenefit.objects.get(member=member)
    assert (benefit.status, benefit.paid_fen, benefit.valid_until) == ("active", 3000, until)

    # 我的权益卡: the card in force, its privileges, last day, free uses; renewal offered
    m.goto("/m/benefits/")
    m.wait_for_load_state("load")
    card = m.locator('[data-testid="benefit-card"]')
    expect(card.locator('[data-testid="benefit-status"]')).to_have_text("生效中")
    expect(card.locator('[data-testid="benefit-name"]')).to_have_text("银卡月卡")
    expect(card.locator('[data-testid="benefit-privileges"]')).to_contain_text("积分 × 150%")
    expect(card.locator('[data-testid="benefit-privileges"]')).to_contain_text("预约优先")
    expect(card.locator('[data-testid="benefit-free"]')).to_have_text("每月剩余免费次数：2 / 2")
    expect(m.locator('[data-testid="benefit-buy"]')).to_contain_text("在线续费")
    shot(m, "portal-benefit-active")
    # nothing wider than the phone
    width = m.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
