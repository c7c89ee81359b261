"""Dashboard figures, the cashier's day, reports and exports, scheduled reports, pages."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation
from openpyxl import load_workbook

from huiyuan.analytics import reports, schedules, selectors
from huiyuan.analytics.models import ScheduledReport
from huiyuan.core.clock import local_today
from huiyuan.core.errors import PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Role
from huiyuan.members.models import Member
from huiyuan.tiers.models import MemberTier, Tier


def test_dashboard_figures_with_comparisons(business, owner, actors, stores):
    today = local_today()
    data = selectors.dashboard(actor=owner, first=today, last=today)
    cur = data["current"]
    assert (cur["net_sales"], cur["sales"], cur["reversals"], cur["returns"]) == (
        12000,
        20000,
        3000,
        5000,
    )
    assert (cur["recharges"], cur["recharge_bonus"], cur["refunds"]) == (50000, 5000, 1000)
    assert (cur["points_issued"], cur["points_adjusted"], cur["members_new"]) == (120, 1000, 2)
    assert data["previous_totals"]["net_sales"] == 0
    assert data["last_year_totals"]["net_sales"] == 0
    assert data["series"] == [
        {
            "day": today.isoformat(),
            "net_sales": 12000,
            "returns": 8000,
            "recharges": 50000,
            "refunds": 1000,
            "members_new": 2,
        }
    ]
    assert data["active_members"] == 2
    assert data["members_monthly"][-1]["count"] == 2
    assert sorted(row["count"] for row in data["members_by"]["store"]) == [1, 1]
    manager = actors[Role.STORE_MANAGER]
    mine = selectors.dashboard(actor=manager, first=today, last=today)
    assert mine["current"]["net_sales"] == 10000
    assert mine["active_members"] == 1
    with pytest.raises(PermissionDenied) as err:
        selectors.dashboard(actor=manager, store_id=stores[1].pk)
    assert err.value.code == "store_forbidden"
    with pytest.raises(PermissionDenied):
        selectors.dashboard(actor=actors[Role.CASHIER])
    with pytest.raises(ValidationFailed) as bad:
        selectors.dashboard(actor=owner, first=today, last=today - dt.timedelta(days=1))
    assert bad.value.code == "invalid_range"


def test_ranges_compare_with_the_previous_period_and_last_year():
    r = selectors.Range(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert r.previous() == selectors.Range(dt.date(2026, 1, 29), dt.date(2026, 2, 28))
    assert r.last_year() == selectors.Range(dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    leap = selectors.Range(dt.date(2028, 2, 29), dt.date(2028, 2, 29))
    assert leap.last_year().first == dt.date(2027, 2, 28)


def test_the_cashiers_own_day(business, cashier):
    day = selectors.cashier_day(actor=cashier)
    # ¥100 by card and ¥50 cash kept (the ¥50 then returned), ¥30 WeChat reversed.
    assert (day.sales_count, day.sales_fen, day.reversed_count) == (2, 10000, 1)
    assert day.by_method == [("stored_value", 10000)]  # the cash sale came back
    assert (day.recharges_count, day.recharges_fen, day.recharge_bonus_fen) == (1, 50000, 5000)
    assert day.recharge_by_method == [("cash", 50000)]


def test_reports_are_store_scoped_and_export_to_excel(business, owner, actors, stores):
    manager = actors[Role.STORE_MANAGER]
    assert len(reports.report_rows(actor=owner, code="consumption")) == 4
    assert len(reports.report_rows(actor=manager, code="consumption")) == 3
    with translation.override("en"):
        refunds = reports.report_rows(actor=manager, code="refunds")
    assert [(row[1], row[5]) for row in refunds] == [
        ("Stored-value refund", 1000),
        ("Return", 5000),
        ("Reversal", 3000),
    ]
    liability = reports.report_rows(actor=manager, code="liability")
    assert [row[0] for row in liability] == [stores[0].name]
    with pytest.raises(PermissionDenied):
        reports.workbook_write(actor=manager, code="consumption", store_id=stores[1].pk)
    with (
        translation.override("en"),
        reports.workbook_write(actor=manager, code="summary") as handle,
    ):
        sheet = load_workbook(io.BytesIO(handle.read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[3][:4] == ("Date", "Store", "Sales (count)", "Net sales")
    assert rows[4][1:4] == (stores[0].name, 2, 100)  # ¥100.00 net, as yuan


def test_scheduled_reports_are_sent_once_per_period(business, actors, stores):
    manager = actors[Role.STORE_MANAGER]
    with pytest.raises(ValidationFailed) as err:
        schedules.schedule_create(
            actor=manager,
            name="日报",
            report="summary",
            recipients="not-an-address",
            frequency="daily",
        )
    assert err.value.code == "recipient_invalid"
    assert ScheduledReport.objects.count() == 0
    row = schedules.schedule_create(
        actor=manager,
        name="日报",
        report="summary",
        recipients="a@example.com, b@example.com",
        frequency="daily",
    )
    assert row.store_ids == [stores[0].pk]  # a manager's "all" is its own stores
    tomorrow = local_today() + dt.timedelta(days=1)
    assert schedules.schedules_send_due(tomorrow) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["a@example.com", "b@example.com"]
    name, content, _mime = message.attachments[0]
    assert name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(content)).active
    assert [r[1] for r in sheet.iter_rows(min_row=5, values_only=True)] == [stores[0].name]
    assert schedules.schedules_send_due(tomorrow) == 0  # once per period
    assert len(mail.outbox) == 1
    assert schedules.period_due("weekly", dt.date(2026, 11, 30)) == (
        "2026-W48",
        dt.date(2026, 11, 23),
        dt.date(2026, 11, 29),
    )
    assert schedules.period_due("monthly", dt.date(2026, 11, 30)) is None


def test_console_pages(business, staff, stores):
    owner = Client()
    owner.force_login(staff[Role.OWNER])
    page = owner.get("/analytics/")
    assert page.status_code == 200
    assert b"analytics-data" in page.content
    one = owner.get(f"/analytics/?store={stores[1].pk}&date_from=2026-11-01&date_to=2026-11-30")
    assert one.status_code == 200
    # The new-members figure drills down to those members: joined in the range, at the store.
    assert (
        f"/members/?joined_from=2026-11-01&amp;joined_to=2026-11-30&amp;store={stores[1].pk}"
    ).encode() in one.content
    assert owner.get("/reports/").status_code == 200
    assert owner.get("/reports/consumption/").status_code == 200
    export = owner.get("/reports/consumption/export.xlsx")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert owner.get("/reports/nothing/").status_code == 404
    manager = Client()
    manager.force_login(staff[Role.STORE_MANAGER])
    assert manager.get(f"/analytics/?store={stores[1].pk}").status_code == 403
    # A manager of one store sees that store named as the page's scope, not "all stores".
    own = manager.get("/analytics/")
    assert own.status_code == 200
    assert (
        f'<div class="page-pretitle" data-testid="scope-name">{stores[0].name}</div>'.encode()
        in own.content
    )
    assert manager.get(f"/reports/consumption/export.xlsx?store={stores[1].pk}").status_code == 403
    cashier = Client()
    cashier.force_login(staff[Role.CASHIER])
    assert cashier.get("/analytics/").status_code == 403
    day = cashier.get("/analytics/my-day/")
    assert day.status_code == 200
    assert "¥100.00".encode() in day.content


def test_tier_distribution_counts_members_never_moved_up(business, owner, actors, stores):
    """A member without a tier row is in the lowest tier: the pie counts them there (it
    used to show only the members who had moved up), within a store manager's stores."""
    base = Tier.objects.create(code="t-base", name="普通会员", level=1)
    gold = Tier.objects.create(code="t-gold", name="金卡会员", level=3)
    Tier.objects.create(code="t-silver", name="银卡会员", level=2)  # nobody: left out
    member = business.card.member
    assert member.home_store_id == stores[0].pk
    MemberTier.objects.create(member=member, tier=gold, since=timezone.now())
    active = Member.objects.filter(status=Member.Status.ACTIVE)
    assert active.count() == 2  # the card member here and the one at the second store
    assert selectors.dashboard(actor=owner)["tiers"] == [
        {"key": "普通会员", "count": 1},
        {"key": "金卡会员", "count": 1},
    ]
    manager = actors[Role.STORE_MANAGER]  # of stores[0] only
    assert selectors.dashboard(actor=manager)["tiers"] == [{"key": "金卡会员", "count": 1}]
    MemberTier.objects.filter(member=member).delete()
    assert selectors.dashboard(actor=manager)["tiers"] == [{"key": base.name, "count": 1}]
