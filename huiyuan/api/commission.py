"""Commission endpoints (导购提成): the rules, and the monthly report with its export."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import FileResponse, HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StrictInt

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS, MAX_ID, In, QueryId
from huiyuan.api.schemas.money import IdempotencyKey, require_key
from huiyuan.commission import selectors, services
from huiyuan.commission.exports import commission_export
from huiyuan.commission.models import CommissionRule
from huiyuan.commission.services import MAX_FIXED_FEN

router = Router(tags=["commission"])

XLSX_RESPONSE = {
    "responses": {
        "200": {
            "description": "An .xlsx workbook.",
            "content": {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                }
            },
        }
    }
}
Role = Literal["", "owner", "hq_admin", "store_manager", "cashier", "call_center", "marketer"]


class RuleIn(In):
    kind: Literal["category", "recharge"]
    category_code: str = Field("", max_length=30, description="For kind=category.")
    role: Role = Field("", description="Only for this staff role; empty: every role.")
    method: Literal["percent", "fixed"]
    rate_bp: Annotated[StrictInt, Field(ge=0, le=10_000)] = Field(
        0, description="For method=percent: basis points (250 = 2.50%)."
    )
    fixed_fen: Annotated[StrictInt, Field(ge=0, le=MAX_FIXED_FEN)] = Field(
        0, description="For method=fixed: fen per unit sold."
    )


class RuleOut(Schema):
    id: int
    kind: str
    category_code: str
    role: str
    method: str
    rate_bp: int
    fixed_fen: int
    is_active: bool
    created_at: dt.datetime


class ReportQuery(In):
    month: str = Field(..., pattern=r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$", description="YYYY-MM")
    store_id: QueryId | None = None


class CommissionLineOut(Schema):
    staff_id: int
    staff_name: str
    role: str
    store_id: int
    store_name: str
    sales_fen: int
    returns_fen: int
    recharges_fen: int
    total_fen: int
    entries: int


def _rule(rule: CommissionRule) -> dict[str, Any]:
    return {
        f: getattr(rule, f)
        for f in (
            "id",
            "kind",
            "category_code",
            "role",
            "method",
            "rate_bp",
            "fixed_fen",
            "is_active",
            "created_at",
        )
    }


@router.get("/rules", response={200: list[RuleOut], **ERRORS}, summary="Active commission rules")
def rule_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_rule(r) for r in selectors.commission_rules(actor=actor_of(request))]


@router.post("/rules", response={201: RuleOut, **ERRORS}, summary="Set a commission rule")
def rule_set(
    request: HttpRequest, payload: RuleIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    rule = services.commission_rule_set(
        actor=actor_of(request),
        kind=payload.kind,
        category_code=payload.category_code,
        role=payload.role,
        method=payload.method,
        rate_bp=payload.rate_bp,
        fixed_fen=payload.fixed_fen,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _rule(rule))


class RetireIn(In):
    note: str = Field("", max_length=200, description="Why the rule ends (for the audit).")


@router.post(
    "/rules/{int:rule_id}/retire", response={200: RuleOut, **ERRORS}, summary="Retire a rule"
)
def rule_retire(
    request: HttpRequest,
    payload: RetireIn,
    rule_id: int = Path(..., ge=1, le=MAX_ID),
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    require_key(idempotency_key)  # retiring twice is the same as once
    return _rule(services.commission_rule_retire(actor=actor_of(request), rule_id=rule_id))


def _lines(request: HttpRequest, filters: ReportQuery) -> list[selectors.CommissionLine]:
    return selectors.commission_report(
        actor=actor_of(request), month=filters.month, store_id=filters.store_id
    )


@router.get(
    "/report", response={200: list[CommissionLineOut], **ERRORS}, summary="Monthly commission"
)
def report(request: HttpRequest, filters: Query[ReportQuery]) -> list[dict[str, Any]]:
    return [{**line.__dict__, "total_fen": line.total_fen} for line in _lines(request, filters)]


@router.get(
    "/report.xlsx",
    response={200: None, **ERRORS},
    summary="Monthly commission as an Excel file",
    openapi_extra=XLSX_RESPONSE,
)
def report_export(request: HttpRequest, filters: Query[ReportQuery]) -> FileResponse:
    stream = commission_export(_lines(request, filters), month=filters.month)
    return FileResponse(stream, as_attachment=True, filename=f"commission-{filters.month}.xlsx")
