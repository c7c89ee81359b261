"""Editing a tier in the browser: new terms from a chosen date, listed as a scheduled version
while today's terms stay in force (issue 17 §10)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from huiyuan.core.clock import local_today
from huiyuan.core.permissions import Role
from huiyuan.stores.tests.totp import code_for, enrol
from huiyuan.tiers.models import Tier
from huiyuan.tiers.services import tier_create
from tests.e2e.test_counter_money import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def patient():
    """A shared, busy machine: wait up to 30 s for a page or an expectation."""
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=5_000)


def log_in_hq(page, hq) -> None:
    """Head office signs in with the second factor (settings.TWO_FACTOR_ROLES)."""
    device, _codes = enrol(hq)
    page.goto("/login/")
    page.fill("#id_username", "hq")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.fill("#id_code", code_for(device))
    page.click('[data-testid="verify-form"] button[type=submit]')
    page.wait_for_url(lambda url: "/login/" not in url)


@pytest.fixture
def ladder(staff, actors):
    for person in staff.values():
        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
    owner = actors[Role.OWNER]
    tier_create(actor=owner, code="normal", name="普通会员", level=0)
    return tier_create(
        actor=owner,
        code="gold",
        name="金卡会员",
        level=1,
        threshold=200000,
        retention=100000,
        discount_permille=950,
        points_multiplier_pct=150,
    )


def test_edit_a_tier_from_a_date_and_see_the_new_version(
    page, ladder, staff, shot, patient
) -> None:
    day = local_today() + dt.timedelta(days=7)
    page.set_default_timeout(60_000)
    log_in_hq(page, staff[Role.HQ_ADMIN])
    page.goto("/config/tiers/")
    page.locator("tr", has_text="金卡会员").get_by_role("link", name="编辑").click()

    expect(page.locator(".page-title")).to_have_text("编辑等级：金卡会员")
    expect(page.locator("#id_threshold")).to_have_value("2000")  # yuan, prefilled
    expect(page.locator("#id_discount")).to_have_value("9.5")
    expect(page.locator("#id_effective_from")).to_have_value(local_today().isoformat())
    page.fill("#id_threshold", "1500")
    page.fill("#id_points_multiplier_pct", "200")
    page.fill("#id_effective_from", day.isoformat())
    page.get_by_role("button", name="保存等级").click()

    expect(page.locator(".hy-messages, .alert").first).to_contain_text("等级 金卡会员 已保存。")
    versions = page.locator('[data-testid="tier-versions"] tbody tr')
    expect(versions).to_have_count(2)
    expect(versions.nth(0)).to_contain_text(day.isoformat())
    expect(versions.nth(0)).to_contain_text("¥1,500.00")
    expect(versions.nth(0)).to_contain_text("待生效")
    expect(versions.nth(1)).to_contain_text("自创建起")
    expect(versions.nth(1)).to_contain_text("¥2,000.00")
    expect(versions.nth(1)).to_contain_text("当前版本")
    shot(page, "config-tier-edit-versions")

    tier = Tier.objects.get(code="gold")
    assert (tier.threshold, tier.points_multiplier_pct) == (200000, 150)  # today's terms
    assert tier.versions[-1]["effective_from"] == day.isoformat()

    page.goto("/config/tiers/")
    expect(page.locator("tr", has_text="金卡会员")).to_contain_text(f"{day.isoformat()} 起新规则")
