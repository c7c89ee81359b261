"""Sign-in in the browser under the Content-Security-Policy: an owner enrols the second
factor (QR and secret), logs in again with a code, and walks the console; no page breaks
the policy (every violation the browser reports fails the test)."""

from __future__ import annotations

import base64
import time

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from huiyuan.core.permissions import Role
from huiyuan.members import services
from huiyuan.members.services import MemberInput
from huiyuan.stores.tests.totp import code_for, enrol

pytestmark = pytest.mark.e2e

PASSWORD = "Browser-pass-2026"

# Collect what the browser refuses under the policy, from the first script on.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " +
                    (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


@pytest.fixture
def people(staff):
    """One staff member per role; they log in with PASSWORD."""
    for person in staff.values():
        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
    return staff


@pytest.fixture
def watched(page):
    """The page, recording CSP violations and console errors."""
    errors: list[str] = []
    page.add_init_script(WATCH_CSP)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    return page


def assert_clean(page) -> None:
    violations = page.evaluate("() => window.__csp || []")
    assert violations == [], f"{page.url}: {violations}"
    assert [e for e in page.errors if "Content Security Policy" in e] == [], page.url
    assert page.errors == [], f"{page.url}: {page.errors}"


def app_code(secret: str, step_ahead: int = 0) -> str:
    key = base64.b32decode(secret.replace(" ", ""))
    return f"{totp(key, drift=step_ahead):06d}"


def password_step(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_owner_enrols_then_logs_in_with_a_code(watched, people, shot) -> None:
    page = watched
    page.goto("/login/")
    expect(page.locator("h2")).to_contain_text("员工登录")
    shot(page, "signin-login")
    assert_clean(page)

    password_step(page, "owner")
    expect(page.locator("h2")).to_have_text("设置两步验证")
    qr = page.locator('[data-testid="enrol-qr"]')
    expect(qr).to_be_visible()
    # A function, not an expression: Playwright evaluates expressions with eval(), which
    # the policy forbids.
    page.wait_for_function(
        "() => (img => img.complete && img.naturalWidth > 0)"
        "(document.querySelector('[data-testid=enrol-qr]'))"
    )
    secret = page.locator('[data-testid="enrol-secret"]').input_value()
    shot(page, "signin-enrol")
    assert_clean(page)

    page.fill("#id_code", app_code(secret))
    page.click('[data-testid="enrol-form"] button[type=submit]')
    codes = page.locator('[data-testid="backup-codes"] li')
    expect(codes).to_have_count(10)
    shot(page, "signin-backup-codes")
    assert_clean(page)
    page.click('[data-testid="backup-codes-done"]')
    expect(page.locator(".page-title")).to_have_text("概览")

    page.locator(".navbar-nav .avatar").click()
    page.click("form[action='/logout/'] button")
    password_step(page, "owner")
    expect(page.locator("h2")).to_have_text("两步验证")
    shot(page, "signin-verify")
    page.fill("#id_code", "000000")
    page.click('[data-testid="verify-form"] button[type=submit]')
    expect(page.locator(".invalid-feedback")).to_have_text("验证码不正确。")
    time.sleep(1.1)  # the device waits a second after a wrong code
    # The next step of the owner's phone. Enrolment may have landed across a 30-second
    # boundary, in which case the device learnt that this phone runs a step behind
    # (drift -1): a phone's next code is one step past where the device places it.
    device = TOTPDevice.objects.get(user__username="owner")
    page.fill("#id_code", app_code(secret, step_ahead=device.drift + 1))
    page.click('[data-testid="verify-form"] button[type=submit]')
    expect(page.locator(".page-title")).to_have_text("概览")
    assert_clean(page)


@pytest.fixture
def member(actors):
    return services.member_register(
        actor=actors[Role.CASHIER],
        data=MemberInput(name="张三丰", mobile="13812345678", region="上海市"),
        channel="store",
    )


def test_console_pages_run_under_the_policy(watched, people, member, shot) -> None:
    page = watched
    # A store manager: no second factor, most back-office and counter pages.
    password_step(page, "manager")
    expect(page.locator(".page-title")).to_have_text("概览")
    page.wait_for_function("() => document.querySelector('#chart-joined canvas') !== null")
    # The store-share bars get their width from data-width through the CSS object model.
    bar = page.locator(".progress-bar").first
    assert bar.evaluate("el => el.style.width").endswith("%")
    # Chart tooltips are drawn as HTML by ECharts: hover one and check nothing is refused.
    for chart in reversed(page.locator(".hy-chart").all()):
        box = chart.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(400)
    shot(page, "signin-dashboard-tooltip", full_page=False)
    assert_clean(page)

    for url in (
        "/members/",
        f"/members/{member.pk}/",
        "/audit/",
        "/api-keys/",
        "/counter/",
        "/counter/sale/",
        "/counter/recharge/",
        "/reports/outstanding/",
        "/reports/points/",
        "/account/security/",
    ):
        page.goto(url)
        page.wait_for_load_state("load")
        assert_clean(page)

    # Alpine (CSP build): the lunar-only field follows the calendar choice.
    page.goto("/members/new/")
    leap = page.locator("#id_lunar_leap")
    expect(leap).to_be_hidden()
    page.click("label[for=id_calendar_lunar]")
    expect(leap).to_be_visible()
    page.click("label[for=id_calendar_solar]")
    expect(leap).to_be_hidden()
    # htmx: the top search still answers.
    page.keyboard.press("F2")
    page.keyboard.type("zsf")
    expect(page.locator("#hy-search-results.show [data-member-url]")).to_have_count(1)
    assert_clean(page)

    # A confirmation asked by data-confirm instead of an onclick handler.
    page.goto("/api-keys/")
    assert_clean(page)


def test_owner_pages_and_the_api_docs_run_under_the_policy(watched, people, shot) -> None:
    device, _codes = enrol(people[Role.OWNER])
    page = watched
    password_step(page, "owner")
    page.fill("#id_code", code_for(device))
    page.click('[data-testid="verify-form"] button[type=submit]')
    expect(page.locator(".page-title")).to_have_text("概览")
    for url in (
        "/staff/",
        "/stores/",
        "/tags/",
        "/custom-fields/",
        "/config/card-types/",
        "/config/wallet/",
        "/config/points/",
        "/config/earn-rules/",
        "/config/tiers/",
        "/config/batch-recharge/",
    ):
        page.goto(url)
        page.wait_for_load_state("load")
        assert_clean(page)
    page.goto("/staff/")
    shot(page, "signin-staff-page")

    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui")).to_be_visible()
    page.wait_for_timeout(500)
    assert_clean(page)
