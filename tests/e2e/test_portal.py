"""The member portal on a phone (390×844): join by a store's QR code, sign in, reset the
password, see the card and balances, download my data, request deletion."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pytest
from playwright.sync_api import expect

from huiyuan.care.testing import outbox
from huiyuan.core.permissions import Role
from huiyuan.coupons.services import TemplateInput, coupon_issue, template_create
from huiyuan.gifts import services as gift_services
from huiyuan.members.models import Member
from huiyuan.selfservice import services
from huiyuan.selfservice.cardcode import card_code_resolve
from huiyuan.wallet.services import wallet_refund
from tests.e2e.test_counter_money import funded, log_in, shop  # noqa: F401 - fixtures
from tests.e2e.test_gift_redeem import warm_up

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def phone(browser, live_server):
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", base_url=live_server.url, device_scale_factor=2
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def sms_code(mobile: str) -> str:
    match = re.search(r"\d{6}", outbox(mobile)[-1])
    assert match, outbox(mobile)
    return match.group(0)


@pytest.fixture
def documents(db):
    services.document_publish(
        kind="charter",
        title="会员章程",
        body="第一条 会员凭手机号享受会员价、积分和储值服务。\n第二条 积分自获得之日起一年内有效。",
    )
    services.document_publish(
        kind="privacy",
        title="隐私政策",
        body="我们只收集提供会员服务所需的信息：姓名、手机号和消费记录。\n您可以随时下载或删除您的数据。",
    )


def test_join_by_store_qr(browser, live_server, page, shop, documents, shot) -> None:  # noqa: F811
    warm_up(page)
    log_in(page)
    page.goto("/portal-qr/")
    page.select_option("#id_staff", label="cashier")
    page.click('[data-testid="portal-qr-form"] button[type=submit]')
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="portal-qr-image"]')).to_be_visible()
    shot(page, "portal-console-qr")
    link = page.locator('[data-testid="portal-qr-url"]').inner_text().strip()
    assert "/m/join/?t=" in link

    m = phone(browser, live_server)
    m.goto(link)
    expect(m.locator(".pt-brand b")).to_have_text("旗舰店")
    shot(m, "portal-join")
    m.fill("#id_mobile", "13700001111")
    m.click("button[value=code]")
    m.wait_for_load_state("load")
    expect(m.locator(".pt-flash")).to_contain_text("验证码已通过短信发送")
    m.fill("#id_code", sms_code("13700001111"))
    m.fill("#id_name", "李小龙")
    m.fill("#id_password", "Member-pass-2026")
    m.click("button[value=join]")  # the charter not accepted: refused, says what to do
    m.wait_for_load_state("load")
    expect(m.locator(".pt-field-error")).to_contain_text("请阅读并同意")
    shot(m, "portal-join-error")
    m.fill("#id_password", "Member-pass-2026")
    m.check("input[name=consent]")
    m.click("button[value=join]")
    m.wait_for_load_state("load")
    expect(m.locator(".pt-face-name")).to_have_text("李小龙")
    expect(m.locator(".pt-flash")).to_contain_text("欢迎")
    shot(m, "portal-home-new-member")
    member = Member.objects.get(name="李小龙")
    assert member.channel == "self"
    assert member.registered_by.username == "cashier"
    m.goto("/m/card/")
    expect(m.locator("body")).to_contain_text("还没有会员卡")
    shot(m, "portal-card-none")
    m.goto("/m/privacy/password/")
    shot(m, "portal-password")
    m.goto("/m/join/?t=forged")
    expect(m.locator(".pt-empty h2")).to_have_text("入会链接无效")
    shot(m, "portal-join-invalid")
    m.goto("/m/charter/")
    expect(m.locator(".pt-doc")).to_contain_text("第一条")
    shot(m, "portal-charter")
    m.context.close()


def test_sign_in_reset_card_data_and_deletion(
    browser,
    live_server,
    funded,  # noqa: F811
    documents,
    actors,
    shot,
) -> None:
    member, card = funded["member"], funded["card"]
    services._set_password(member.pk, "Member-pass-2026")
    m = phone(browser, live_server)
    m.request.get("/m/signin/", timeout=90_000)
    m.goto("/m/")
    expect(m.locator(".pt-top-title")).to_have_text("会员登录")
    m.fill("#id_mobile", "13812345678")
    m.fill("#id_password", "wrong-password-1")
    m.click("button[value=signin]")
    m.wait_for_load_state("load")
    expect(m.locator(".pt-alert-err")).to_contain_text("重设密码")
    shot(m, "portal-signin-error")

    # forgot the password: reset it with an SMS code, which also signs in
    m.click("text=忘记密码？")
    m.fill("#id_mobile", "13812345678")
    m.click("button[value=code]")
    m.wait_for_load_state("load")
    m.fill("#id_code", sms_code("13812345678"))
    m.fill("#id_password", "Fresh-pass-2026")
    shot(m, "portal-reset")
    m.click("button[value=reset]")
    m.wait_for_load_state("load")
    expect(m.locator(".pt-face-name")).to_have_text("张三丰")
    shot(m, "portal-home")

    # sign out and in again with the new password
    m.goto("/m/me/")
    shot(m, "portal-me")
    m.click("text=退出登录")
    m.wait_for_load_state("load")
    m.fill("#id_mobile", "13812345678")
    m.fill("#id_password", "Fresh-pass-2026")
    shot(m, "portal-signin")
    m.click("button[value=signin]")
    m.wait_for_load_state("load")

    # the card: a rotating code the counter accepts, balances, points, history
    m.click(".pt-tab >> text=会员卡")
    m.wait_for_load_state("load")
    code = m.locator(".pt-code-text").inner_text().strip()
    assert card_code_resolve(code) == card.pk
    expect(m.locator(".pt-stats").first).to_contain_text("¥550.00")
    expect(m.locator(".pt-stats").first).to_contain_text("¥500.00")
    expect(m.locator(".pt-stats").first).to_contain_text("¥50.00")
    expect(m.locator(".pt-stats").nth(1)).to_contain_text("1000")
    shot(m, "portal-card")
    m.click("[data-testid=balance-history]")
    m.wait_for_load_state("load")
    expect(m.locator(".pt-list")).to_contain_text("余 ¥500.00")
    shot(m, "portal-history")
    template = template_create(
        actor=funded["owner"],
        data=TemplateInput(
            name="满100减20",
            kind="threshold",
            value=2000,
            min_spend_fen=10000,
            valid_from=dt.date(2020, 1, 1),
            valid_to=dt.date(2099, 12, 31),
        ),
    )
    coupon_issue(
        actor=funded["owner"],
        template_id=template.pk,
        member_id=member.pk,
        idempotency_key=uuid.uuid4().hex,
    )
    gift_services.gift_create(
        actor=funded["owner"],
        data=gift_services.GiftInput(code="CUP01", name="品牌保温杯", points_price=300),
        stock=5,
    )
    gift_services.gift_create(
        actor=funded["owner"],
        data=gift_services.GiftInput(code="KET01", name="电热水壶", points_price=1800),
        stock=2,
    )
    m.goto("/m/sections/coupons/")
    expect(m.locator(".pt-links")).to_contain_text("满100减20")
    m.click("text=满100减20")
    m.wait_for_load_state("load")
    expect(m.locator(".pt-code-text")).to_be_visible()
    shot(m, "portal-coupon")
    m.goto("/m/sections/gifts/")
    expect(m.locator(".pt-list")).to_contain_text("积分足够")
    expect(m.locator(".pt-list")).to_contain_text("还差 800")
    for path, name in (
        ("/m/sections/coupons/", "portal-coupons"),
        ("/m/sections/packages/", "portal-packages"),
        ("/m/sections/gifts/", "portal-gifts"),
        ("/m/privacy/", "portal-privacy"),
    ):
        m.goto(path)
        shot(m, name)

    # download my data
    m.goto("/m/privacy/")
    with m.expect_download() as info:
        m.click("text=下载我的数据 >> nth=-1")
    data = json.loads(open(info.value.path(), encoding="utf-8").read())
    assert data["profile"]["name"] == "张三丰"
    assert data["cards"][0]["balances"] == {
        "principal_fen": 50000,
        "bonus_fen": 5000,
        "points": 1000,
    }

    # deletion: refused while stored value remains, done after a refund at the counter
    m.click("[data-testid=delete-link]")
    m.wait_for_url("**/m/privacy/delete/")
    m.fill("#id_confirm", "注销")
    m.click("button.pt-btn-danger")
    m.wait_for_load_state("load")
    expect(m.locator(".pt-alert-err")).to_contain_text("请先到门店办理退款")
    shot(m, "portal-delete-refused")
    wallet_refund(
        actor=actors[Role.STORE_MANAGER],
        card_id=card.pk,
        amount_fen=50000,
        method="cash",
        reason="会员申请注销",
        idempotency_key=uuid.uuid4().hex,
    )
    m.goto("/m/privacy/delete/")
    m.fill("#id_confirm", "注销")
    m.click("button.pt-btn-danger")
    m.wait_for_load_state("load")
    expect(m.locator(".pt-empty h2")).to_have_text("您的账户已注销")
    shot(m, "portal-deleted")
    member.refresh_from_db()
    assert member.status == Member.Status.TERMINATED and member.name == "已注销会员"
    m.goto("/m/")
    expect(m.locator(".pt-top-title")).to_have_text("会员登录")
    m.context.close()
