"""Phones (360 and 390 px, touch, Chinese and English): the member list and registration
never scroll sideways — wide tables scroll inside their own box — pagination keeps to
previous / current / next, and no keyboard hints show on a touch screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from huiyuan.members.services import MemberInput, member_register
from tests.e2e.test_counter_money import PASSWORD, shop  # noqa: F401 - the shop fixture

pytestmark = pytest.mark.e2e

OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def crowd(shop):  # noqa: F811
    for i in range(30):  # two pages of members
        member_register(
            actor=shop["cashier"],
            data=MemberInput(name=f"测试会员{i}", mobile=f"1360000{i:04d}"),
            channel="store",
        )
    return shop


@pytest.mark.parametrize("width", [360, 390])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_member_list_and_registration_fit_a_phone(
    browser, live_server, crowd, shot, width, language
):
    context = browser.new_context(
        viewport={"width": width, "height": 800},
        is_mobile=True,
        has_touch=True,
        base_url=live_server.url,
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/login/")
        page.fill("#id_username", "manager")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator(".page-title")).to_be_visible()

        page.goto("/members/")
        expect(page.locator("#member-table")).to_be_visible()
        assert page.evaluate(OVERFLOW) == 0
        expect(page.locator(".hy-kbd-hint")).to_be_hidden()
        # Pagination: previous, the current page and next only.
        assert page.locator(".pagination .page-item:visible").count() == 3
        shot(page, f"phone-members-{width}-{language}")

        page.goto("/members/new/")
        expect(page.locator("#id_name")).to_be_visible()
        assert page.evaluate(OVERFLOW) == 0
        shot(page, f"phone-register-{width}-{language}")
    finally:
        context.close()
