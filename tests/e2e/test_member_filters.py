"""The member list's filters as a store manager uses them: the 已冻结 status filter, saving
it as a named filter (常用筛选), applying it again in one click, and the export button that
keeps the filter."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from huiyuan.members.services import MemberInput, member_freeze, member_register
from tests.e2e.test_counter_money import PASSWORD, shop  # noqa: F401 - the shop fixture

pytestmark = pytest.mark.e2e


@pytest.fixture
def members(shop):  # noqa: F811
    frozen = member_register(
        actor=shop["cashier"],
        data=MemberInput(name="冻结会员甲", mobile="13600000001"),
        channel="store",
    )
    member_freeze(
        actor=shop["owner"], member_id=frozen.pk, earning=True, spending=True, reason="挂失待核实"
    )
    member_register(
        actor=shop["cashier"],
        data=MemberInput(name="正常会员乙", mobile="13600000002"),
        channel="store",
    )
    return shop


def test_filter_frozen_members_save_and_reapply(page, live_server, members, shot):
    page.goto("/login/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".page-title")).to_be_visible()

    page.goto("/members/")
    page.select_option("#id_status", "frozen")
    page.click("#member-filters button[type=submit]")
    table = page.locator("#member-table")
    expect(table).to_contain_text("冻结会员甲")
    expect(table).not_to_contain_text("正常会员乙")
    # The export keeps the filter (the form also sends its empty fields).
    expect(page.get_by_test_id("export")).to_have_attribute(
        "href", re.compile(r"^/members/export\.xlsx\?.*\bstatus=frozen\b")
    )

    page.get_by_test_id("save-filter").locator("input[name=name]").fill("冻结会员")
    page.get_by_test_id("save-filter").locator("button").click()
    expect(page.locator(".hy-messages")).to_contain_text("已保存筛选“冻结会员”。")
    shot(page, "member-list-saved-filter")

    page.goto("/members/")
    expect(page.locator("#member-table")).to_contain_text("正常会员乙")
    page.get_by_test_id("saved-filter").filter(has_text="冻结会员").click()
    expect(page.locator("#member-table")).not_to_contain_text("正常会员乙")
    expect(page.locator("#member-table")).to_contain_text("冻结会员甲")
