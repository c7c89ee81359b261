"""The counter's day in the browser: log in, find, open, register, freeze, audit."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from huiyuan.core.permissions import Role
from huiyuan.members import services
from huiyuan.members.models import Member, Tag
from huiyuan.members.services import MemberInput

pytestmark = pytest.mark.e2e

PASSWORD = "Browser-pass-2026"


@pytest.fixture
def chain(staff, actors, stores):
    """A few members at both stores, made through the services; staff log in with PASSWORD."""
    for person in staff.values():
        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
    for name in ("VIP", "老客户", "母婴"):
        Tag.objects.create(name=name, color="blue")
    people = [
        ("张三丰", "13812345678", ["VIP"]),
        ("李小龙", "13900001111", ["老客户"]),
        ("王芳", "13700002222", []),
        ("赵敏", "13600003333", ["母婴"]),
        ("周杰", "13500004444", []),
    ]
    for name, mobile, tags in people:
        services.member_register(
            actor=actors[Role.CASHIER],
            data=MemberInput(name=name, mobile=mobile, tags=tags, region="上海市"),
            channel="store",
        )
    services.member_register(
        actor=actors[Role.CALL_CENTER],
        data=MemberInput(name="钱多多", mobile="13400005555"),
        channel="call_center",
        store_id=stores[1].pk,
    )
    return staff


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    # A cashier lands at the counter (刷卡), everyone else on the dashboard.
    expect(page.locator(".page-title")).to_have_text("刷卡" if username == "cashier" else "概览")
    page.wait_for_load_state("load")  # the keyboard shortcuts are bound once scripts ran


def test_counter_flow(page, chain, shot) -> None:
    page.goto("/login/")
    expect(page.locator("h2")).to_contain_text("员工登录")
    shot(page, "login")

    log_in(page, "manager")
    expect(page.locator('[data-stat="total"]')).to_have_text("5")
    page.wait_for_function("() => document.querySelector('#chart-joined canvas') !== null")
    page.wait_for_timeout(1200)  # let the charts finish their entry animation
    shot(page, "dashboard")

    # Find a member by pinyin initials in the top search, keyboard only.
    page.keyboard.press("/")
    expect(page.locator("#hy-search-input")).to_be_focused()
    page.keyboard.type("zsf")
    results = page.locator("#hy-search-results.show [data-member-url]")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("张三丰")
    shot(page, "search", full_page=False)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator('[data-testid="member-name"]')).to_have_text("张三丰")
    expect(page.locator('[data-testid="mobile"]')).to_have_text("138****5678")
    shot(page, "member")

    # Register a new member.
    page.click("text=登记会员 >> nth=0")
    expect(page.locator(".page-title")).to_have_text("登记会员")
    page.fill("#id_name", "孙悟空")
    page.fill("#id_mobile", "13300006666")
    page.check("input[name=gender][value=M]", force=True)
    page.click("label[for=id_calendar_lunar]")
    expect(page.locator("#id_lunar_leap")).to_be_visible()
    page.fill("#id_birth_year", "1992")
    page.fill("#id_birth_month", "8")
    page.fill("#id_birth_day", "15")
    page.fill("#id_region", "浙江省杭州市")
    page.fill("#id_occupation", "设计师")
    page.check("input[name=tags][value=VIP]", force=True)
    page.check("#id_consent")
    shot(page, "register")
    page.click("#member-form button[type=submit]")
    expect(page.locator('[data-testid="member-name"]')).to_have_text("孙悟空")
    expect(page.locator(".alert-success")).to_contain_text("登记成功")
    member = Member.objects.get(name="孙悟空")
    assert member.birthday_calendar == "lunar"
    assert (member.lunar_birth_month, member.lunar_birth_day) == (8, 15)

    # Freeze them, with a reason, through the modal.
    page.click("button:has-text('冻结')")
    modal = page.locator("#modal-freeze")
    expect(modal).to_be_visible()
    modal.locator("textarea[name=reason]").fill("会员卡遗失，本人来电要求冻结")
    modal.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("会员已冻结")
    expect(page.locator(".hy-member-head")).to_contain_text("获取与消费均已冻结")
    history = page.locator('[data-testid="history"] [data-action="member.frozen"]')
    expect(history).to_contain_text("冻结")
    expect(history).to_contain_text("会员卡遗失")
    shot(page, "member_frozen")
    member.refresh_from_db()
    assert member.earn_frozen and member.spend_frozen

    # The audit log shows it too.
    page.goto("/audit/")
    expect(page.locator("body")).to_contain_text("会员卡遗失，本人来电要求冻结")
    shot(page, "audit")

    # The member list, filtered by tag: the manager's store only (钱多多 joined at the other
    # store and is not listed — store scope of lists).
    page.goto("/members/")
    expect(page.locator("#member-table tbody tr")).to_have_count(6)
    expect(page.locator("#member-table")).not_to_contain_text("钱")
    shot(page, "member_list")
    page.select_option("#id_tag", label="VIP")
    page.click("#member-filters button[type=submit]")
    expect(page.locator("#member-table tbody tr")).to_have_count(2)


def test_scanner_enter_jumps_to_member(page, chain) -> None:
    log_in(page, "cashier")
    member = Member.objects.get(name="王芳")
    page.keyboard.press("F2")
    # A barcode scanner types the digits fast and presses Enter at once.
    page.keyboard.type(member.code, delay=5)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/members/{member.pk}/$"))
    page.wait_for_load_state("load")  # the shortcuts are bound once the new page's scripts ran
    page.keyboard.press("/")
    page.keyboard.type("13600003333", delay=5)
    page.keyboard.press("Enter")
    expect(page.locator('[data-testid="member-name"]')).to_have_text("赵敏")


def test_english_and_permission_hidden_actions(page, chain, shot) -> None:
    log_in(page, "cashier")
    page.click("a[aria-label='语言']")
    page.click("button:has-text('English')")
    expect(page.locator(".page-title")).to_have_text("Scan a card")  # the counter, in English
    member = Member.objects.get(name="张三丰")
    page.goto(f"/members/{member.pk}/")
    expect(page.locator("button:has-text('Freeze')")).to_have_count(0)
    expect(page.locator("text=Show full details")).to_have_count(0)
    shot(page, "member_en_cashier")
