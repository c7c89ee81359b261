"""Report endpoints: stored value outstanding per store, and the points liability.

Both cover the caller's stores only (a store manager or terminal: its stores; head office:
the chain, or one store with ``store_id``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS
from huiyuan.api.schemas.reports import (
    OutstandingOut,
    OutstandingQuery,
    PointsLiabilityOut,
    ReportStoreQuery,
)
from huiyuan.points.selectors import points_liability
from huiyuan.wallet.selectors import outstanding_by_store, outstanding_total

router = Router(tags=["reports"])


@router.get(
    "/reports/outstanding",
    response={200: OutstandingOut, **ERRORS},
    summary="Stored value outstanding (预收款), per store",
)
def report_outstanding(request: HttpRequest, filters: Query[OutstandingQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    stores = outstanding_by_store(actor=actor, until=filters.until, store_id=filters.store_id)
    total = outstanding_total(actor=actor, store_id=filters.store_id)
    return {
        "total": {"principal_fen": total["principal"], "bonus_fen": total["bonus"]},
        "stores": [
            {
                "store": row.store,
                "recharged_fen": row.recharged,
                "spent_here_fen": row.spent_here,
                "refunded_fen": row.refunded,
                "bonus_granted_fen": row.bonus_granted,
                "net_fen": row.net,
            }
            for row in stores
        ],
    }


@router.get(
    "/reports/points-liability",
    response={200: PointsLiabilityOut, **ERRORS},
    summary="Points outstanding and their value",
)
def report_points_liability(
    request: HttpRequest, filters: Query[ReportStoreQuery]
) -> dict[str, int]:
    return points_liability(actor=actor_of(request), store_id=filters.store_id)
