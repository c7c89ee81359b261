"""A store manager's staff page in the browser: its store's people, buttons only on those it
manages (not on someone who also works at another store, nor on head office given its
store), only the cashier and store-manager roles and its own store offered; it adds a
cashier and gives a colleague a new password; the cashier signs in with it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from huiyuan.core.permissions import Role
from huiyuan.stores.models import Staff, Store
from tests.e2e.test_counter_money import PASSWORD, log_in, shop  # noqa: F401 - the shop fixture
from tests.e2e.test_gift_redeem import warm_up

pytestmark = pytest.mark.e2e


def make_staff(username: str, role: Role, stores: list[Store]) -> Staff:
    person = Staff(username=username, display_name=username, role=role)
    person.set_password(PASSWORD)
    person.default_store = stores[0]
    person.save()
    person.stores.set(stores)
    return person


@pytest.fixture(autouse=True)
def patient(page) -> None:
    page.set_default_timeout(30_000)  # the shared machine is slow under load


def test_a_store_manager_manages_its_store_staff(page, shop, stores, shot) -> None:  # noqa: F811
    for name, role, where in (
        ("both", Role.CASHIER, [stores[0], stores[1]]),
        ("hq_here", Role.HQ_ADMIN, [stores[0]]),
        ("east", Role.CASHIER, [stores[1]]),
    ):
        make_staff(name, role, where)
    warm_up(page)
    log_in(page, "manager")
    page.goto("/staff/")
    expect(page.locator(".page-title")).to_have_text("员工管理")
    expect(page.locator('[data-testid="signin-east"]')).to_have_count(0)
    cashier_row = page.locator('[data-testid="staff-actions-cashier"]')
    expect(cashier_row.locator('[data-testid="reset-password"]')).to_be_visible()
    for beyond in ("both", "hq_here"):
        row = page.locator(f'[data-testid="staff-actions-{beyond}"]')
        expect(row.locator('[data-testid="not-managed"]')).to_have_text("无权管理")
        expect(row.locator("a, button")).to_have_count(0)
    roles = page.locator("#id_role option")
    expect(roles).to_have_count(2)
    expect(roles).to_have_text(["店长", "收银员"])
    shot(page, "h5_staff-store-manager")

    page.fill("#id_username", "li")
    page.fill("#id_display_name", "李收银")
    page.locator("#id_role").select_option("cashier")
    page.locator('input[name="stores"]').first.check()
    page.fill("#id_password", "Fresh-pass-2026")
    page.locator("form.hy-form-card button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("李收银")
    assert Staff.objects.get(username="li").role == "cashier"

    page.locator('[data-testid="staff-actions-cashier"] [data-testid="reset-password"]').click()
    page.fill("#id_new_password", "New-counter-77")
    page.fill("#id_new_password_again", "New-counter-78")
    page.locator("form.hy-form-card button[type=submit]").click()
    expect(page.locator(".invalid-feedback").first).to_contain_text("两次输入的新密码不一致")
    shot(page, "h5_staff-new-password")
    page.fill("#id_new_password", "New-counter-77")
    page.fill("#id_new_password_again", "New-counter-77")
    page.locator("form.hy-form-card button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("已设置新密码")
    assert Staff.objects.get(username="cashier").check_password("New-counter-77")
