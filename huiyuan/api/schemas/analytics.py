"""Schemas of the analytics endpoints: dashboard figures and report rows (read-only)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from huiyuan.api.schemas.common import Date, In, QueryId, QueryInt


class RangeQuery(In):
    date_from: Date | None = Field(
        None, description="Local business date, included (default: the 1st of this month)."
    )
    date_to: Date | None = Field(
        None, description="Local business date, included (default: today)."
    )
    store_id: QueryId | None = Field(None, description="One store (default: every store in view).")


class AnalyticsReportQuery(RangeQuery):
    limit: QueryInt = Field(100, ge=1, le=1000)
    offset: QueryInt = Field(0, ge=0, le=10_000_000)


class PeriodOut(Schema):
    first: dt.date
    last: dt.date


class ReportTotalsOut(Schema):
    net_sales: int = Field(description="Sales less reversals and returns (fen).")
    sales: int
    reversals: int
    returns: int
    sales_count: int = Field(description="Sales less reversed ones.")
    recharges: int
    recharges_count: int
    recharge_bonus: int
    refunds: int
    points_issued: int
    points_redeemed: int
    points_expired: int
    points_adjusted: int
    members_new: int
    coupons_issued: int = Field(description="Coupons issued (counted at the member's store).")
    coupons_used: int = Field(description="Coupons used on sales that stand (not given back).")
    coupon_discount: int = Field(description="Discount those coupons gave (fen).")
    activity_seated: int = Field(description="Activity participants: seats taken less given up.")
    activity_attended: int = Field(description="Activity attendances checked in.")


class MethodOut(Schema):
    method: str = Field(description="A payment method, or stored_value / points (not money).")
    pay: int = Field(description="Paid for sales, less returns and reversals (fen).")
    recharge: int
    refund: int
    taken: int = Field(description="Money taken: sales + recharges − refunds (0 for non-money).")
    is_money: bool


class DayOut(Schema):
    day: dt.date
    net_sales: int
    returns: int = Field(description="Returns and reversals (fen).")
    recharges: int
    refunds: int
    members_new: int


class MonthOut(Schema):
    month: str
    count: int
    mom: int | None = Field(description="Whole per cent change on the month before.")
    yoy: int | None = Field(description="Whole per cent change on the same month last year.")


class ShareOut(Schema):
    key: str
    count: int


class MembersByOut(Schema):
    channel: list[ShareOut]
    store: list[ShareOut]
    staff: list[ShareOut]


class AnalyticsBalancesOut(Schema):
    principal: int
    bonus: int
    points: int


class ActivityResultOut(Schema):
    activity_id: int
    name: str
    seated: int = Field(description="Participants seated in the period, less those who left.")
    attended: int


class DashboardOut(Schema):
    range: PeriodOut
    previous: PeriodOut
    last_year: PeriodOut
    store_id: int | None
    current: ReportTotalsOut
    previous_totals: ReportTotalsOut
    last_year_totals: ReportTotalsOut
    today_by_method: list[MethodOut]
    month_by_method: list[MethodOut]
    range_by_method: list[MethodOut]
    series: list[DayOut]
    members_monthly: list[MonthOut]
    members_by: MembersByOut
    balances: AnalyticsBalancesOut
    active_members: int = Field(
        description="Members with a purchase (not reversed) in the range, each counted once."
    )
    activities: list[ActivityResultOut]
    tiers: list[ShareOut]


class ReportColumnOut(Schema):
    title: str
    kind: str = Field(description="text, money (fen), int or time.")


class ReportOut(Schema):
    code: str
    title: str
    description: str
    dated: bool
    columns: list[ReportColumnOut]


class ReportRowsOut(Schema):
    code: str
    range: PeriodOut
    columns: list[ReportColumnOut]
    rows: list[list[int | str | None]]
    offset: int
    has_more: bool
