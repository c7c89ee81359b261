"""Create a sign-up activity at the console, publish it, and sign a member up at the
counter in the browser: the fee leaves the stored value, the seat is taken, the next
member goes on the waiting list."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from huiyuan.activities.models import Activity, Signup
from huiyuan.ledger.tests.factories import balances
from huiyuan.wallet.services import wallet_recharge
from tests.e2e.test_counter_money import log_in, shop  # noqa: F401 - the shop fixture

pytestmark = pytest.mark.e2e


def warm_up(page) -> None:
    """The live server's first request indexes the static files: slow on a busy machine."""
    page.request.get("/login/", timeout=90_000)


def test_create_an_activity_and_sign_a_member_up(page, shop, shot) -> None:  # noqa: F811
    wallet_recharge(
        actor=shop["cashier"],
        card_id=shop["card"].pk,
        amount_fen=10_000,
        method="cash",
        idempotency_key=uuid.uuid4().hex,
    )
    warm_up(page)
    log_in(page, "marketer")
    page.goto("/activities/")
    page.wait_for_load_state("load")
    expect(page.locator(".page-title")).to_have_text("活动管理")
    page.click('[data-testid="activity-new"]')
    page.wait_for_load_state("load")
    expect(page.locator(".page-title")).to_have_text("新建活动")
    starts = timezone.localtime(timezone.now() + dt.timedelta(days=3)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    page.fill("#id_code", "BAKE-01")
    page.fill("#id_name", "亲子烘焙课")
    page.fill("#id_starts_at", starts.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_ends_at", (starts + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_location", "旗舰店二楼烘焙教室")
    page.fill("#id_description", "亲子一起做曲奇，材料由门店准备。")
    page.fill("#id_capacity", "1")
    page.fill("#id_fee", "39.90")
    page.select_option("#id_refund_rule", "hours_before")
    page.fill("#id_refund_hours", "24")
    shot(page, "activity-create")
    page.click('[data-testid="activity-save"]')
    page.wait_for_load_state("load")
    expect(page.locator(".hy-messages")).to_contain_text("已保存为草稿")
    page.click('[data-testid="activity-publish"]')
    page.wait_for_load_state("load")
    expect(page.locator(".hy-messages")).to_contain_text("活动已发布")
    activity = Activity.objects.get(code="BAKE-01")
    assert (activity.status, activity.fee_fen, activity.capacity) == ("published", 3990, 1)
    page.context.clear_cookies()

    log_in(page, "cashier")
    page.goto(f"/activities/{activity.pk}/")
    page.wait_for_load_state("load")
    page.click('[data-testid="activity-signup"]')
    page.wait_for_load_state("load")
    page.fill('[data-testid="scan-input"]', shop["card"].number)
    page.press('[data-testid="scan-input"]', "Enter")
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="activity-counter-form"]')).to_contain_text("¥39.90")
    shot(page, "activity-signup-counter")
    page.click('[data-testid="submit"]')
    page.wait_for_load_state("load")
    expect(page.locator(".hy-messages")).to_contain_text("报名成功")
    expect(page.locator('[data-testid="existing-signup"]')).to_contain_text("已报名")
    assert balances(shop["card"])["principal"] == 10_000 - 3990
    signup = Signup.objects.get()
    assert (signup.status, signup.fee_fen) == ("seated", 3990)

    page.goto(f"/activities/{activity.pk}/")
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="stat-seats"]')).to_have_text("1 / 1")
    expect(page.locator('[data-testid="signup-table"]')).to_contain_text("张三丰")
    shot(page, "activity-detail")


def test_a_member_signs_up_from_the_portal(browser, live_server, shop, shot) -> None:  # noqa: F811
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from huiyuan.activities import services
    from huiyuan.portal.auth import SESSION_HASH, SESSION_MEMBER, _credential_hash

    wallet_recharge(
        actor=shop["cashier"],
        card_id=shop["card"].pk,
        amount_fen=5_000,
        method="cash",
        idempotency_key=uuid.uuid4().hex,
    )
    starts = timezone.now() + dt.timedelta(days=5)
    activity = services.activity_create(
        actor=shop["owner"],
        data=services.ActivityInput(
            code="TEA-01",
            name="周末茶艺体验",
            kind="signup",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            capacity=12,
            fee_fen=1990,
            location="旗舰店三楼茶室",
            description="认识六大茶类，学一泡功夫茶。",
        ),
    )
    services.activity_publish(actor=shop["owner"], activity_id=activity.pk)
    session = SessionStore()
    session[SESSION_MEMBER] = shop["member"].pk
    session[SESSION_HASH] = _credential_hash(shop["member"].pk)
    session.save()
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        base_url=live_server.url,
        device_scale_factor=2,
    )
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )
    m = context.new_page()
    m.set_default_timeout(20_000)
    m.request.get("/m/signin/", timeout=90_000)
    m.goto("/m/activities/")
    expect(m.locator('[data-testid="portal-activities"]')).to_contain_text("周末茶艺体验")
    shot(m, "portal-activities")
    m.click("text=周末茶艺体验")
    m.wait_for_load_state("load")
    expect(m.locator('[data-testid="portal-seats"]')).to_have_text("0 / 12")
    m.click('[data-testid="portal-signup-button"]')
    m.wait_for_load_state("load")
    expect(m.locator('[data-testid="portal-signup"]')).to_contain_text("已报名")
    expect(m.locator('[data-testid="portal-seats"]')).to_have_text("1 / 12")
    shot(m, "portal-activity-signed-up")
    assert balances(shop["card"])["principal"] == 5_000 - 1990
    m.click('[data-testid="portal-cancel"]')
    m.wait_for_load_state("load")
    expect(m.locator('[data-testid="portal-signup"]')).to_contain_text("报名")
    assert Signup.objects.get(activity=activity).status == "cancelled"
    assert balances(shop["card"])["principal"] == 5_000
    context.close()


def test_marketing_pages_look_right(page, shop, shot) -> None:  # noqa: F811
    """The other activity pages a marketer uses: the list, a spend-and-get activity, the
    double-points days, points tasks and grants, and a dry run on today's sales."""
    from huiyuan.activities import services
    from huiyuan.activities.services.points_days import PointsDayInput, points_day_save
    from huiyuan.checkout.services import QuickSaleInput, sale_quick

    owner = shop["owner"]
    now = timezone.now()
    offer = services.activity_create(
        actor=owner,
        data=services.ActivityInput(
            code="SPEND-200",
            name="单笔满200送200积分",
            kind="payment",
            starts_at=now - dt.timedelta(days=1),
            ends_at=now + dt.timedelta(days=30),
            threshold_fen=20_000,
            reward_kind="points",
            reward_points=200,
            budget=100,
        ),
    )
    services.activity_publish(actor=owner, activity_id=offer.pk)
    sale_quick(
        actor=shop["cashier"],
        data=QuickSaleInput(amount_fen=25_000, card_id=shop["card"].pk, external_method="cash"),
        idempotency_key=uuid.uuid4().hex,
    )
    day = points_day_save(
        actor=owner, data=PointsDayInput(name="周三会员日", multiplier_pct=200, weekdays=[3])
    )
    warm_up(page)
    log_in(page, "marketer")
    page.goto("/activities/")
    expect(page.locator('[data-testid="activity-table"]')).to_contain_text("单笔满200送200积分")
    shot(page, "activity-list")
    page.goto(f"/activities/{offer.pk}/")
    expect(page.locator(".page-title")).to_contain_text("单笔满200送200积分")
    shot(page, "activity-payment-detail")
    page.goto("/activities/points-days/")
    expect(page.locator('[data-testid="points-day-table"]')).to_contain_text("周三会员日")
    shot(page, "activity-points-days")
    page.goto("/activities/tasks/")
    expect(page.locator('[data-testid="task-table"]')).to_contain_text("注册会员")
    shot(page, "activity-tasks")
    today = timezone.localdate().isoformat()
    page.goto(f"/activities/dry-run/?subject=activity:{offer.pk}&date_from={today}&date_to={today}")
    expect(page.locator('[data-testid="dry-run-result"]')).to_contain_text("200 积分")
    shot(page, "activity-dry-run")
    assert day.pk
