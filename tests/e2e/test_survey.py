"""Build a survey in the console, answer it from the portal link on a phone, read the
statistics (charts) and the follow-up queue."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from huiyuan.core.permissions import Role
from huiyuan.surveys.models import Answer, Response, Survey
from tests.e2e.test_counter_money import log_in, shop  # noqa: F401 - the shop fixture
from tests.e2e.test_gift_redeem import warm_up

pytestmark = pytest.mark.e2e


def add_question(page, kind: str, text: str, options: str = "", required: bool = True) -> None:
    page.select_option("#id_kind", kind)
    page.fill("#id_text", text)
    page.fill("#id_choices", options)
    if not required:
        page.uncheck("#id_required")
    page.click('[data-testid="question-add"]')
    page.wait_for_load_state("load")


def test_build_answer_and_see_statistics(browser, live_server, page, shop, shot) -> None:  # noqa: F811
    page.on("dialog", lambda dialog: dialog.accept())
    warm_up(page)
    log_in(page, "marketer")
    page.goto("/surveys/")
    page.fill("#id_title", "门店服务满意度调查")
    page.fill("#id_description", "耽误您一分钟，帮助我们做得更好。")
    page.click('[data-testid="survey-create-save"]')
    page.wait_for_load_state("load")
    add_question(page, "single", "您多久来一次本店？", "每周\n每月\n很少")
    add_question(page, "multiple", "您常用哪些会员服务？", "储值\n积分兑换\n次卡")
    add_question(page, "rating", "总体满意度")
    add_question(page, "text", "还有什么建议？", required=False)
    expect(page.locator('[data-testid="question"]')).to_have_count(4)
    shot(page, "survey-builder")
    page.click('[data-testid="survey-publish"]')
    page.wait_for_load_state("load")
    expect(page.locator(".page-title")).to_contain_text("进行中")
    page.click('[data-testid="distribute"]')
    page.wait_for_load_state("load")
    expect(page.locator("body")).to_contain_text("已邀请 1 位会员")
    page.fill('[data-testid="link-form"] input[name="member"]', shop["member"].code)
    page.click('[data-testid="link-form"] button')
    page.wait_for_load_state("load")
    link = page.locator('[data-testid="member-link"]').input_value()
    assert "/m/surveys/t/" in link
    shot(page, "survey-send")

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", base_url=live_server.url
    ).new_page()
    phone.goto(link)
    expect(phone.locator(".pt-top-title")).to_have_text("门店服务满意度调查")
    phone.click('[data-testid="survey-submit"]')  # nothing chosen: refused, nothing stored
    phone.wait_for_load_state("load")
    expect(phone.locator(".pt-flash-error")).to_have_text("请回答这道题。")
    assert Response.objects.count() == 0
    phone.locator("label.sv-option", has_text="每周").click()
    phone.locator("label.sv-option", has_text="储值").click()
    phone.locator("label.sv-option", has_text="次卡").click()
    phone.locator("label.sv-star", has_text="4").click()
    phone.fill("textarea", "希望周末多开一个收银台")
    shot(phone, "survey-portal-answer")
    phone.click('[data-testid="survey-submit"]')
    phone.wait_for_load_state("load")
    expect(phone.locator('[data-testid="survey-thanks"]')).to_contain_text("感谢您的填写")
    shot(phone, "survey-portal-thanks")
    phone.goto(link)  # once per member
    expect(phone.locator('[data-testid="survey-thanks"]')).to_contain_text("您已经填写过这份问卷")
    phone.context.close()
    response = Response.objects.get()
    assert (response.member_id, response.channel) == (shop["member"].pk, "link")
    assert Answer.objects.filter(response=response).count() == 4

    survey = Survey.objects.get()
    page.goto(f"/surveys/{survey.pk}/stats/")
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="stat-responses"]')).to_have_text("1")
    expect(page.locator('[data-testid="stat-average"]')).to_have_text("4.0")
    expect(
        page.locator(f"#chart-q{survey.questions.order_by('position')[0].pk} canvas")
    ).to_have_count(1)
    expect(page.locator('[data-testid="stat-texts"]')).to_contain_text("希望周末多开一个收银台")
    shot(page, "survey-statistics")
    with page.expect_download() as download:
        page.click('[data-testid="survey-export"]')
    assert download.value.suggested_filename == f"survey-{survey.pk}.xlsx"


def test_follow_up_queue_and_outcome(page, shop, shot, actors) -> None:  # noqa: F811
    import datetime as dt

    from huiyuan.core.clock import local_today
    from huiyuan.followups import services

    task = services.followup_create(
        actor=actors[Role.STORE_MANAGER],
        data=services.FollowupInput(
            member_id=shop["member"].pk,
            due_date=local_today() + dt.timedelta(days=1),
            note="感谢首次到店，询问体验",
        ),
    )
    warm_up(page)
    log_in(page, "manager")
    page.goto("/followups/?view=queue")
    expect(page.locator(f'[data-followup="{task.pk}"]')).to_contain_text("张三丰")
    shot(page, "followup-queue")
    page.locator(f'[data-followup="{task.pk}"] a.btn').click()
    page.wait_for_load_state("load")
    page.click('[data-testid="followup-take"]')
    page.wait_for_load_state("load")
    page.select_option("#id_outcome", "reached")
    page.fill("#id_note", "会员很满意，推荐了储值套餐")
    page.click('[data-testid="attempt-save"]')
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="followup-history"]')).to_contain_text("已联系上")
    shot(page, "followup-detail")
    page.goto(f"/members/{shop['member'].pk}/")
    expect(page.locator('[data-testid="member-followups"]')).to_contain_text("推荐了储值套餐")
    shot(page, "followup-member-page")
    page.goto(f"/feedback/new/?member={shop['member'].pk}")
    page.select_option("#id_category", "complaint")
    page.fill("#id_text", "周六下午排队结账等了二十多分钟。")
    page.locator("form.card button[type=submit]").click()
    page.wait_for_load_state("load")
    expect(page.locator(".page-title")).to_contain_text("投诉")
    page.fill("#id_text", "非常抱歉，周末高峰已增加一个收银台。")
    page.locator("form.card-body button").first.click()
    page.wait_for_load_state("load")
    expect(page.locator(".page-title")).to_contain_text("处理中")
    shot(page, "feedback-detail")
    page.goto("/followups/?view=queue")
    expect(page.locator('[data-testid="followup-table"]')).to_contain_text("投诉")
