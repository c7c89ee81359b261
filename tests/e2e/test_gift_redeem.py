"""Redeem a gift at the counter in the browser: the points and the stock go down."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from huiyuan.gifts import services as gift_services
from huiyuan.gifts.models import Gift
from huiyuan.ledger.tests.factories import balances, key
from huiyuan.points.services import points_adjust
from tests.e2e.test_counter_money import log_in, shop  # noqa: F401 - the shop fixture

pytestmark = pytest.mark.e2e


def warm_up(page) -> None:
    """The live server's first request indexes the static files: slow on a busy machine."""
    page.request.get("/login/", timeout=90_000)


def test_redeem_a_gift_at_the_counter(page, shop, shot) -> None:  # noqa: F811
    points_adjust(
        actor=shop["owner"],
        card_id=shop["card"].pk,
        delta=1000,
        reason="开卡礼",
        idempotency_key=key(),
    )
    gift = gift_services.gift_create(
        actor=shop["owner"],
        data=gift_services.GiftInput(code="CUP01", name="品牌保温杯", points_price=300),
        stock=5,
    )
    gift_services.gift_create(
        actor=shop["owner"],
        data=gift_services.GiftInput(code="BAG01", name="帆布袋", points_price=120, cash_fen=990),
        stock=3,
    )
    warm_up(page)
    log_in(page)
    page.goto("/gifts/redeem/")
    page.wait_for_load_state("load")
    expect(page.locator(".page-title")).to_have_text("积分兑换")
    page.fill('[data-testid="scan-input"]', shop["card"].number)
    page.press('[data-testid="scan-input"]', "Enter")
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="panel-points"]')).to_have_text("1000")
    page.locator('label:has([data-testid="gift-CUP01"])').click()
    page.fill("#id_quantity", "2")
    shot(page, "gift-redeem-counter")
    page.click('[data-testid="submit"]')
    page.wait_for_load_state("load")

    expect(page.locator(".hy-messages")).to_contain_text("已兑换 品牌保温杯 × 2，扣 600 积分")
    expect(page.locator('[data-testid="panel-points"]')).to_have_text("400")
    expect(page.locator('[data-testid="recent-redemptions"]')).to_contain_text("已兑换待领取")
    shot(page, "gift-redeem-done")
    assert balances(shop["card"])["points"] == 400

    page.goto(f"/gifts/{gift.pk}/")
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="gift-stock"]')).to_have_text("3")
    expect(page.locator('[data-testid="movement-table"]')).to_contain_text("兑换出库")
    shot(page, "gift-detail-movements")
    assert Gift.objects.get(pk=gift.pk).stock == 3


def test_draw_and_check_in_at_the_counter(page, shop, shot) -> None:  # noqa: F811
    from huiyuan.gifts.models import Lottery

    points_adjust(
        actor=shop["owner"],
        card_id=shop["card"].pk,
        delta=500,
        reason="活动",
        idempotency_key=key(),
    )
    lottery = gift_services.lottery_create(
        actor=shop["owner"],
        name="周年庆转盘",
        cost_points=100,
        prizes=[
            gift_services.PrizeInput(kind="points", weight=1, points=50, stock=10),
            gift_services.PrizeInput(kind="nothing", weight=1),
        ],
    )
    gift_services.lottery_set_status(
        actor=shop["owner"], lottery_id=lottery.pk, status=Lottery.Status.ACTIVE
    )
    warm_up(page)
    log_in(page)
    page.goto(f"/lotteries/{lottery.pk}/?card={shop['card'].number}")
    page.wait_for_load_state("load")
    page.click('[data-testid="draw"]')
    page.wait_for_load_state("load")
    expect(page.locator(".hy-messages")).to_contain_text("抽奖结果")
    expect(page.locator('[data-testid="draw-table"] tbody tr')).to_have_count(1)
    shot(page, "lottery-draw")
    page.locator('[data-testid="draw-table"]').get_by_text("验证").click()
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="verify-ok"]')).to_be_visible()
    shot(page, "lottery-verify")
    after_draw = balances(shop["card"])["points"]
    assert after_draw in (400, 450)

    page.goto(f"/checkin/?card={shop['card'].number}")
    page.wait_for_load_state("load")
    page.click('[data-testid="submit"]')
    page.wait_for_load_state("load")
    expect(page.locator(".hy-messages")).to_contain_text("签到成功：连续第 1 天，获得 5 积分")
    expect(page.locator('[data-testid="submit"]')).to_be_disabled()
    shot(page, "checkin-counter")
    assert balances(shop["card"])["points"] == after_draw + 5


def test_a_spend_frozen_members_redeem_button_is_disabled(page, shop, shot) -> None:  # noqa: F811
    """Like the other counter pages: the status badge, the button disabled with the reason;
    the points stay."""
    from huiyuan.members.services import member_freeze

    points_adjust(
        actor=shop["owner"],
        card_id=shop["card"].pk,
        delta=1000,
        reason="开卡礼",
        idempotency_key=key(),
    )
    gift_services.gift_create(
        actor=shop["owner"],
        data=gift_services.GiftInput(code="CUP01", name="品牌保温杯", points_price=300),
        stock=5,
    )
    member_freeze(
        actor=shop["owner"],
        member_id=shop["member"].pk,
        earning=False,
        spending=True,
        reason="争议处理中",
    )
    warm_up(page)
    log_in(page, "cashier")
    page.goto(f"/gifts/redeem/?card={shop['card'].number}")
    expect(page.locator('[data-testid="card-status"]')).to_contain_text("已冻结（消费）")
    form = page.locator('[data-testid="redeem-form"]')
    expect(form.locator('[data-testid="submit"]')).to_be_disabled()
    expect(form.locator('[data-testid="blocked-reason"]')).to_have_text(
        "消费已冻结：不能用储值和积分支付。"
    )
    shot(page, "h5_gift-redeem-frozen")
    assert balances(shop["card"])["points"] == 1000
