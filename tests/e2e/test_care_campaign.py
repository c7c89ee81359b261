"""Member care in the browser: preview a template on a real member, send a DM campaign
to a segment and read its report, set up a care rule, look at the delivery log."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from huiyuan.care import sending
from huiyuan.care.models import Campaign, CareRule, OptOut
from huiyuan.members import services as member_services
from huiyuan.members.services import MemberInput
from huiyuan.segments.services import segment_create
from tests.e2e.test_counter_money import log_in, shop  # noqa: F401 - the shop fixture

pytestmark = pytest.mark.e2e


def test_preview_campaign_rules_and_log(page, shop, shot, stores, settings) -> None:  # noqa: F811
    settings.HUIYUAN_CARE_QUIET_HOURS = (0, 0)
    for name, mobile in (
        ("李清照", "13911110001"),
        ("苏东坡", "13911110002"),
        ("辛弃疾", "13911110003"),
    ):
        member_services.member_register(
            actor=shop["cashier"], data=MemberInput(name=name, mobile=mobile), channel="store"
        )
    quitter = member_services.member_register(
        actor=shop["cashier"],
        data=MemberInput(name="陶渊明", mobile="13911110004"),
        channel="store",
    )
    sending.opt_out(member_id=quitter.pk, source=OptOut.Source.SMS)
    segment_create(actor=shop["owner"], name="旗舰店会员", definition={"stores": [stores[0].pk]})
    page.request.get("/login/", timeout=90_000)
    log_in(page, "marketer")

    page.goto("/care/templates/promotion/sms/")
    page.fill("#id_body", "{name}您好，{store}周末会员日，积分{points}可抵现。{coupon}")
    page.fill("#id_member", shop["member"].code)
    page.click('[data-testid="preview-button"]')
    expect(page.locator('[data-testid="preview"]')).to_contain_text(
        "张三丰您好，旗舰店周末会员日，积分0可抵现。"
    )
    expect(page.locator('[data-testid="preview"]')).to_contain_text("回TD退订")
    shot(page, "care-template-preview")
    page.click("#template-form button[type=submit]")
    expect(page.locator(".hy-messages, .alert-success").first).to_contain_text("模板已保存")

    page.goto("/care/campaigns/")
    page.fill("#id_name", "周末会员日")
    page.select_option("#id_segment", label="旗舰店会员")
    page.click('[data-testid="campaign-form"] button[type=submit]')
    expect(page.locator('[data-testid="campaign-start"]')).to_contain_text("发送给 5 位会员")
    page.click('[data-testid="campaign-start"]')
    expect(page.locator('[data-testid="campaign-counts"]')).to_contain_text("5 / 5")
    report = page.locator('[data-testid="campaign-report"]')
    expect(report).to_contain_text("已发送")
    assert Campaign.objects.get().status == Campaign.Status.DONE
    shot(page, "care-campaign-report")

    page.goto("/care/rules/")
    row = page.locator('[data-testid="rule-birthday"]')
    row.locator("input[name='birthday-days_ahead']").fill("3")
    row.locator("input[name='birthday-is_active']").check()
    row.locator("button").click()
    expect(page.locator(".alert-success, .hy-messages").first).to_contain_text("关怀规则已保存")
    assert CareRule.objects.get(kind="birthday").days_ahead == 3
    shot(page, "care-rules")

    page.goto("/care/")
    expect(page.locator('[data-testid="delivery-table"]')).to_contain_text("139****0001")
    shot(page, "care-delivery-log")
    page.goto("/care/outbox/")
    expect(page.locator('[data-testid="outbox-list"]')).to_contain_text("李清照您好")
    shot(page, "care-outbox")


def test_member_reads_the_inbox_on_a_phone(browser, live_server, shop, shot) -> None:  # noqa: F811
    from huiyuan.selfservice import services as selfservice
    from tests.e2e.test_portal import phone

    member = shop["member"]
    selfservice._set_password(member.pk, "Member-pass-2026")
    for amount, points in (("+120", 120), ("-20", 100)):
        sending.delivery_queue(
            template="points_change",
            channel="inbox",
            to=str(member.pk),
            member_id=member.pk,
            context={"name": member.name, "amount": amount, "points": points},
        )
    m = phone(browser, live_server)
    m.request.get("/m/signin/", timeout=90_000)
    m.goto("/m/signin/")
    m.fill("#id_mobile", "13812345678")
    m.fill("#id_password", "Member-pass-2026")
    m.click("button[value=signin]")
    m.wait_for_load_state("load")
    m.goto("/m/me/")
    m.click("text=消息")
    m.wait_for_load_state("load")
    messages = m.locator('[data-testid="inbox-message"]')
    expect(messages).to_have_count(2)
    expect(messages.first).to_contain_text("张三丰您好，您的积分变动-20，当前积分100。")
    shot(m, "portal-inbox")
