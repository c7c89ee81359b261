"""Imports in the browser: the owner uploads a member file, checks the mapping and the
preview, runs it (the worker's run is done here), sees the result and downloads the rows
with errors; then migrates opening balances and sees them reconcile. No CSP violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from huiyuan.cards import services as card_services
from huiyuan.core.permissions import Role
from huiyuan.imports.models import ImportJob
from huiyuan.imports.services import import_run
from huiyuan.stores.tests.totp import code_for, enrol

pytestmark = pytest.mark.e2e

PASSWORD = "Browser-pass-2026"
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def shop(staff, actors, settings, tmp_path):
    settings.IMPORTS_DIR = tmp_path / "imports"
    owner = staff[Role.OWNER]
    owner.set_password(PASSWORD)
    owner.save(update_fields=["password"])
    card_services.card_type_create(
        actor=actors[Role.OWNER], code="vip", name="储值卡", category="tier"
    )
    return {"device": enrol(owner)[0]}


def test_import_members_then_opening_balances(page, shop, shot, tmp_path) -> None:
    page.add_init_script(WATCH_CSP)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/login/")
    page.wait_for_load_state("load")
    page.fill("#id_username", "owner")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    page.fill("#id_code", code_for(shop["device"]))
    page.click('[data-testid="verify-form"] button[type=submit]')
    page.wait_for_load_state("load")

    members = tmp_path / "会员.csv"
    members.write_text(
        "姓名,手机号,性别,生日\n张三,13800138000,男,1988-02-03\n李四,1380013,女,\n"
        "王五,13900139000,女,1990/5/1\n",
        encoding="utf-8",
    )
    page.goto("/imports/")
    page.wait_for_load_state("load")
    page.select_option("#id_kind", "members")
    page.set_input_files("#id_file", str(members))
    shot(page, "import-upload")
    page.click('[data-testid="import-upload"] button[type=submit]')
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="import-preview"]')).to_be_visible()
    expect(page.locator('[data-testid="import-preview-counts"]')).to_contain_text("1")
    shot(page, "import-preview")
    page.click('[data-testid="import-run"]')
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="import-progress"]')).to_be_visible()
    import_run(job_id=ImportJob.objects.get().pk)  # what the worker does
    expect(page.locator('[data-testid="import-created"]')).to_have_text("2", timeout=5000)
    expect(page.locator('[data-testid="import-error-workbook"]')).to_be_visible()
    shot(page, "import-result")

    opening = tmp_path / "期初.csv"
    opening.write_text(
        "卡号,手机号,本金,赠送金,赠送金有效期,积分\nLEG0000001,13800138000,100.50,20,2099-12-31,300\n"
        "LEG0000002,13900139000,88,,,\n",
        encoding="utf-8",
    )
    page.goto("/imports/")
    page.wait_for_load_state("load")
    page.select_option("#id_kind", "opening")
    page.select_option("#id_card_type", label="储值卡")
    page.set_input_files("#id_file", str(opening))
    page.click('[data-testid="import-upload"] button[type=submit]')
    page.wait_for_load_state("load")
    page.click('[data-testid="import-run"]')
    page.wait_for_load_state("load")
    import_run(job_id=ImportJob.objects.order_by("-pk").first().pk)
    page.reload()
    page.wait_for_load_state("load")
    expect(page.locator('[data-testid="reconciled"]')).to_be_visible()
    expect(page.locator('[data-testid="reconciliation"]')).to_contain_text("¥188.50")
    shot(page, "import-opening-reconciliation")
    page.goto("/imports/history/")
    page.wait_for_load_state("load")
    shot(page, "import-history")
    assert page.evaluate("() => window.__csp || []") == []
    assert errors == []
