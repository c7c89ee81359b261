"""Analytics endpoints (read-only): the dashboard's figures and the report center's rows.

Store scope as in the console: a store-scoped key or staff member sees its stores only and
is refused another store (``store_forbidden``). Reads go to the replica when configured.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router

from huiyuan.analytics import reports, selectors
from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.analytics import (
    AnalyticsReportQuery,
    DashboardOut,
    RangeQuery,
    ReportOut,
    ReportRowsOut,
)
from huiyuan.api.schemas.common import ERRORS
from huiyuan.core.permissions import Perm, require

router = Router(tags=["analytics"])
ReportCode = Path(
    ..., pattern=r"^[a-z_]{1,30}$", description="Report code (GET /analytics/reports)."
)


@router.get(
    "/analytics/dashboard",
    response={200: DashboardOut, **ERRORS},
    summary="Dashboard figures for a date range, with the previous period and last year",
)
def dashboard(request: HttpRequest, filters: Query[RangeQuery]) -> dict[str, Any]:
    return selectors.dashboard(
        actor=actor_of(request),
        first=filters.date_from,
        last=filters.date_to,
        store_id=filters.store_id,
    )


def _report_out(r: reports.Report) -> dict[str, Any]:
    return {
        "code": r.code,
        "title": str(r.title),
        "description": str(r.description),
        "dated": r.dated,
        "columns": [{"title": str(c.title), "kind": c.kind} for c in r.columns],
    }


@router.get("/analytics/reports", response={200: list[ReportOut], **ERRORS}, summary="The reports")
def report_list(request: HttpRequest) -> list[dict[str, Any]]:
    require(actor_of(request), Perm.REPORT_VIEW)
    return [_report_out(r) for r in reports.REPORTS.values()]


@router.get(
    "/analytics/reports/{code}",
    response={200: ReportRowsOut, **ERRORS},
    summary="A page of a report's rows (money in fen)",
)
def report_rows(
    request: HttpRequest, filters: Query[AnalyticsReportQuery], code: str = ReportCode
) -> dict[str, Any]:
    actor = actor_of(request)
    r = selectors.range_of(filters.date_from, filters.date_to)
    rows = reports.report_rows(
        actor=actor,
        code=code,
        first=r.first,
        last=r.last,
        store_id=filters.store_id,
        limit=filters.limit + 1,
        offset=filters.offset,
    )
    report = reports.report_get(code)
    return {
        "code": code,
        "range": {"first": r.first, "last": r.last},
        "columns": _report_out(report)["columns"],
        "rows": [
            [v if isinstance(v, int | str) or v is None else str(v) for v in row]
            for row in rows[: filters.limit]
        ],
        "offset": filters.offset,
        "has_more": len(rows) > filters.limit,
    }
