"""Error pages in the browser, in Chinese: a page that does not exist (404) and a page the
staff member may not open (403, with the reason) keep the console's layout and say what to
do next; signed out, a 404 is a plain page in Chinese too."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_counter_money import log_in, shop  # noqa: F401 - the shop fixture
from tests.e2e.test_gift_redeem import warm_up

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def patient(page) -> None:
    page.set_default_timeout(30_000)  # the shared machine is slow under load


def test_not_found_and_not_allowed_in_chinese(page, shop, shot) -> None:  # noqa: F811
    warm_up(page)
    log_in(page, "cashier")
    response = page.goto("/no-such-page/")
    assert response is not None and response.status == 404
    error = page.locator('[data-testid="error-page"]')
    expect(error).to_have_attribute("data-status", "404")
    expect(error).to_contain_text("页面不存在")
    expect(error).to_contain_text("页面不存在或已移动")
    expect(page.locator("aside, .navbar").first).to_be_visible()  # the console's layout
    shot(page, "h5_error-404")

    response = page.goto("/staff/")  # a cashier manages no staff
    assert response is not None and response.status == 403
    error = page.locator('[data-testid="error-page"]')
    expect(error).to_have_attribute("data-status", "403")
    expect(error).to_contain_text("无权操作")
    expect(error.locator('[data-testid="error-message"]')).to_contain_text("您没有执行此操作的权限")
    shot(page, "h5_error-403")
    error.get_by_role("link", name="收银台").click()
    expect(page.locator(".page-title")).to_have_text("刷卡")


def test_signed_out_not_found_is_a_plain_chinese_page(page, shop, shot) -> None:  # noqa: F811
    warm_up(page)
    response = page.goto("/no-such-page/")
    assert response is not None and response.status == 404
    expect(page.locator("body")).to_contain_text("页面不存在")
    shot(page, "h5_error-404-signed-out")
