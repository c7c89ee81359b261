"""Chain settlement endpoints (通存通兑结算): the report for a period and its export."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import Field, Query, Router, Schema

from huiyuan.api.auth import actor_of
from huiyuan.api.commission import XLSX_RESPONSE
from huiyuan.api.schemas.common import ERRORS, BusinessDate, In, QueryId
from huiyuan.settlement import selectors
from huiyuan.settlement.exports import settlement_export

router = Router(tags=["settlement"])


class SettlementQuery(In):
    date_from: BusinessDate = Field(..., description="Local business date, included.")
    date_to: BusinessDate = Field(..., description="Local business date, included.")
    store_id: QueryId | None = None


class StoreLineOut(Schema):
    store_id: int
    store_code: str
    store_name: str
    recharged_fen: int
    spent_principal_fen: int
    spent_bonus_fen: int
    refunded_fen: int
    receivable_fen: int = Field(..., description="Other stores owe it.")
    payable_fen: int = Field(..., description="It owes other stores.")
    net_fen: int = Field(..., description="Positive: owed to the store; negative: it owes.")


class PairOut(Schema):
    debtor_id: int
    debtor_name: str
    creditor_id: int
    creditor_name: str
    principal_fen: int
    bonus_fen: int
    total_fen: int


class SettlementOut(Schema):
    date_from: str
    date_to: str
    stores: list[StoreLineOut]
    pairs: list[PairOut]
    chain_wide: bool
    chain_net_fen: int | None = Field(None, description="Sum of every store's net: always 0.")


def _report(request: HttpRequest, q: SettlementQuery) -> selectors.SettlementReport:
    return selectors.settlement_report(
        actor=actor_of(request), date_from=q.date_from, date_to=q.date_to, store_id=q.store_id
    )


@router.get("", response={200: SettlementOut, **ERRORS}, summary="Chain settlement for a period")
def settlement(request: HttpRequest, filters: Query[SettlementQuery]) -> dict[str, Any]:
    report = _report(request, filters)
    return {
        "date_from": report.date_from.isoformat(),
        "date_to": report.date_to.isoformat(),
        "stores": [
            {
                "store_id": line.store_id,
                "store_code": line.store_code,
                "store_name": line.store_name,
                **{
                    k: getattr(line.figures, k)
                    for k in (
                        "recharged_fen",
                        "spent_principal_fen",
                        "spent_bonus_fen",
                        "refunded_fen",
                        "receivable_fen",
                        "payable_fen",
                        "net_fen",
                    )
                },
            }
            for line in report.lines
        ],
        "pairs": [{**pair.__dict__, "total_fen": pair.total_fen} for pair in report.pairs],
        "chain_wide": report.chain_wide,
        "chain_net_fen": report.chain_net_fen,
    }


@router.get(
    "/export.xlsx",
    response={200: None, **ERRORS},
    summary="Chain settlement as an Excel file",
    openapi_extra=XLSX_RESPONSE,
)
def settlement_xlsx(request: HttpRequest, filters: Query[SettlementQuery]) -> FileResponse:
    report = _report(request, filters)
    name = f"settlement-{report.date_from:%Y%m%d}-{report.date_to:%Y%m%d}.xlsx"
    return FileResponse(settlement_export(report), as_attachment=True, filename=name)
