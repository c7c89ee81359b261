"""The business dashboard in the browser: chain-wide, narrowed to one store, drilled down
to the sales behind a figure; the report center; the cashier's own day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from huiyuan.analytics.rollups import rollup_rebuild
from huiyuan.analytics.tests.conftest import business  # noqa: F401 - the fixture
from huiyuan.core.clock import local_today
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import member
from huiyuan.members.models import Member
from tests.e2e.test_card_batches import assert_clean, watch
from tests.e2e.test_counter_money import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def history(business, staff, actors):  # noqa: F811
    """The business day, and members who joined over the past year (for the monthly line)."""
    for person in staff.values():
        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
    now = timezone.now()
    for months_back, count in ((11, 2), (9, 3), (6, 4), (4, 3), (2, 5), (1, 6)):
        for _ in range(count):
            m = member(actors[Role.CASHIER])
            Member.objects.filter(pk=m.pk).update(
                joined_at=now - dt.timedelta(days=30 * months_back)
            )
    rollup_rebuild(local_today() - dt.timedelta(days=400), local_today())
    return business


def sign_in(page, username: str, title: str) -> None:
    page.request.get("/login/", timeout=90_000)  # the first request indexes static files
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".page-title")).to_have_text(title)


def test_dashboard_store_filter_and_drill_down(page, history, stores, shot) -> None:
    watch(page)
    sign_in(page, "marketer", "概览")
    page.locator('[data-testid="nav-analytics"]').click()
    expect(page.locator(".page-title")).to_have_text("经营分析")
    # Chain-wide: ¥180 − ¥30 reversed − ¥50 returned at 旗舰店, ¥20 at 东城店.
    expect(page.locator('[data-testid="kpi-net_sales"] .hy-kpi-value')).to_have_text("¥120.00")
    expect(page.locator('[data-testid="scope-name"]')).to_have_text("全部门店")
    page.wait_for_function("() => document.querySelector('#chart-daily canvas') !== null")
    shot(page, "analytics-dashboard")
    assert_clean(page)

    page.select_option('[data-testid="store-filter"]', label=stores[0].name)
    page.locator('[data-testid="filter-apply"]').click()
    expect(page.locator('[data-testid="scope-name"]')).to_have_text(stores[0].name)
    expect(page.locator('[data-testid="kpi-net_sales"] .hy-kpi-value')).to_have_text("¥100.00")
    expect(page.locator('[data-testid="takings-today"]')).to_contain_text("¥490.00")

    # A click on today's bar opens that day's sales at that store.
    page.wait_for_function("() => document.querySelector('#chart-daily canvas') !== null")
    today = local_today().isoformat()
    x, y = page.evaluate(
        """(day) => {
            const el = document.getElementById('chart-daily');
            const chart = echarts.getInstanceByDom(el);
            const data = JSON.parse(document.getElementById('analytics-data').textContent);
            const i = data.series.findIndex(r => r.day === day);
            const p = chart.convertToPixel({seriesIndex: 0}, [i, data.series[i].net_sales / 200]);
            const box = el.getBoundingClientRect();
            return [box.left + p[0], box.top + p[1]];
        }""",
        today,
    )
    page.mouse.click(x, y)
    expect(page.locator(".page-title")).to_have_text("消费记录")
    assert f"date_from={today}" in page.url and f"store={stores[0].pk}" in page.url
    expect(page.locator('[data-testid="sale-row"]')).to_have_count(3)
    shot(page, "analytics-drill-down-sales")


def test_report_center_and_the_cashiers_day(page, history, shot) -> None:
    watch(page)
    sign_in(page, "manager", "概览")
    page.locator('[data-testid="nav-reports"]').click()
    expect(page.locator(".page-title")).to_have_text("报表中心")
    shot(page, "analytics-report-center")
    page.locator('[data-testid="report-summary"]').click()
    expect(page.locator('[data-testid="report-row"]')).to_have_count(1)
    expect(page.locator('[data-testid="report-table"]')).to_contain_text("¥100.00")
    shot(page, "analytics-report-summary")
    with page.expect_download() as download:
        page.locator('[data-testid="report-export"]').click()
    assert download.value.suggested_filename.endswith(".xlsx")
    assert_clean(page)

    page.context.clear_cookies()
    sign_in(page, "cashier", "刷卡")
    page.locator('[data-testid="nav-my-day"]').click()
    expect(page.locator('[data-testid="my-sales"]')).to_have_text("¥100.00")
    expect(page.locator('[data-testid="my-recharges"]')).to_have_text("¥500.00")
    shot(page, "analytics-my-day")
