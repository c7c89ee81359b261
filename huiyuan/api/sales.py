"""Sale endpoints: basket sales with their quote, returns, the sales list and its Excel
export; quick consumption (快速消费), receipts, reversal, supplementary points.

Every write takes an Idempotency-Key: a POS may resend a sale after a timeout and gets the
first receipt back, never a second charge.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.money import IdempotencyKey, require_key
from huiyuan.api.schemas.sales import (
    BasketQuoteIn,
    BasketSaleIn,
    QuickSaleIn,
    QuoteOut,
    SaleListQuery,
    SaleOut,
    SalePageOut,
    SaleReturnIn,
    SaleReturnOut,
    SaleReverseIn,
    SupplementIn,
    quote_out,
    sale_out,
    sale_return_out,
    sale_summary_out,
)
from huiyuan.checkout import selectors, services
from huiyuan.checkout.exports import sales_export
from huiyuan.checkout.models import Sale
from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor

router = Router(tags=["sales"])

SaleId = Path(..., ge=1, le=MAX_ID, description="Sale id.")
SaleNumber = Path(..., pattern=r"^[0-9A-Za-z]{1,30}$", description="Receipt number.")


def _receipt(sale: Sale | None, actor: Actor) -> dict[str, Any]:
    """The receipt with what was sold and what came back (three queries more)."""
    if sale is None:
        raise NotFound(_("Sale not found."), code="sale_not_found")
    detailed = selectors.sale_detail(actor=actor, sale_id=sale.pk) or sale
    return sale_out(detailed, selectors.sale_balances_after(sale))


def _basket(payload: BasketQuoteIn) -> services.BasketSaleInput:
    return services.BasketSaleInput(
        lines=tuple(
            services.SaleLineInput(
                product_id=line.product_id,
                code=line.code,
                quantity_milli=line.quantity_milli,
                amount_fen=line.amount_fen,
                quoted_unit_price_fen=line.quoted_unit_price_fen,
            )
            for line in payload.lines
        ),
        card_id=payload.card_id,
        points=payload.points,
        balance_fen=payload.balance_fen,
        payments=tuple(
            services.ExternalPayment(p.method, p.amount_fen)
            for p in getattr(payload, "payments", ())
        ),
        associate_id=getattr(payload, "associate_id", None),
        enrol=(
            services.EnrolRequest(
                mobile=payload.enrol.mobile,
                name=payload.enrol.name,
                explicit=payload.enrol.explicit,
            )
            if payload.enrol is not None
            else None
        ),
        coupon_codes=tuple(payload.coupon_codes),
        pin=getattr(payload, "pin", ""),
    )


@router.post(
    "/sales/quote",
    response={200: QuoteOut, **ERRORS},
    summary="Price a basket (nothing is written): the sale made now comes to the same",
)
def sale_quote(request: HttpRequest, payload: BasketQuoteIn) -> dict[str, Any]:
    quote = services.sale_quote_basket(actor=actor_of(request), data=_basket(payload))
    return quote_out(quote)


@router.post("/sales", response={201: SaleOut, **ERRORS}, summary="Complete a basket sale")
def sale_complete(
    request: HttpRequest, payload: BasketSaleIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    sale = services.sale_complete(
        actor=actor, data=_basket(payload), idempotency_key=require_key(idempotency_key)
    )
    return Status(201, _receipt(sale, actor))


@router.get("/sales", response={200: SalePageOut, **ERRORS}, summary="The sales list")
def sale_list(request: HttpRequest, filters: Query[SaleListQuery]) -> dict[str, Any]:
    qs = selectors.sale_list(actor=actor_of(request), filters=_filters(filters))
    page = qs[filters.offset : filters.offset + filters.limit]
    return {
        "count": qs.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [sale_summary_out(sale) for sale in page],
    }


def _filters(filters: SaleListQuery) -> selectors.SaleFilters:
    return selectors.SaleFilters(
        store_id=filters.store_id,
        cashier_id=filters.cashier_id,
        member_id=filters.member_id,
        date_from=filters.date_from,
        date_to=filters.date_to,
        number=filters.number,
        status=filters.status or "",
    )


@router.get(
    "/sales/export.xlsx",
    response={200: None, **ERRORS},
    summary="The sales list as an Excel file (streamed; amounts as numbers in yuan)",
    openapi_extra={
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
    },
)
def sale_export(request: HttpRequest, filters: Query[SaleListQuery]) -> FileResponse:
    stream = sales_export(actor=actor_of(request), filters=_filters(filters))
    filename = f"sales-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(stream, as_attachment=True, filename=filename)


@router.post(
    "/sales/{int:sale_id}/returns",
    response={201: SaleReturnOut, **ERRORS},
    summary="Return lines of a sale (退货): exactly what they took goes back",
)
def sale_return(
    request: HttpRequest,
    payload: SaleReturnIn,
    sale_id: int = SaleId,
    idempotency_key: str = IdempotencyKey,
) -> Status[dict[str, Any]]:
    auth = payload.authorised_by
    done = services.sale_return(
        actor=actor_of(request),
        sale_id=sale_id,
        lines=[
            services.ReturnLineInput(line.sale_line_id, line.quantity_milli)
            for line in payload.lines
        ],
        reason=payload.reason,
        idempotency_key=require_key(idempotency_key),
        authorised_by=(
            services.ManagerAuthorisation(auth.username, auth.password, request)
            if auth is not None
            else None
        ),
    )
    return Status(201, sale_return_out(done))


@router.post("/sales/quick", response={201: SaleOut, **ERRORS}, summary="Quick consumption")
def sale_quick(
    request: HttpRequest, payload: QuickSaleIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    sale = services.sale_quick(
        actor=actor,
        data=services.QuickSaleInput(
            amount_fen=payload.amount_fen,
            card_id=payload.card_id,
            category=payload.category,
            balance_fen=payload.balance_fen,
            points=payload.points,
            external_method=payload.external_method,
            associate_id=payload.associate_id,
            pin=payload.pin,
        ),
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _receipt(sale, actor))


@router.get(
    "/sales/by-number/{number}",
    response={200: SaleOut, **ERRORS},
    summary="A receipt by its number",
)
def sale_by_number(request: HttpRequest, number: str = SaleNumber) -> dict[str, Any]:
    actor = actor_of(request)
    return _receipt(selectors.sale_get(actor=actor, number=number), actor)


@router.get("/sales/{int:sale_id}", response={200: SaleOut, **ERRORS}, summary="A receipt")
def sale_detail(request: HttpRequest, sale_id: int = SaleId) -> dict[str, Any]:
    actor = actor_of(request)
    return _receipt(selectors.sale_get(actor=actor, sale_id=sale_id), actor)


@router.post(
    "/sales/{int:sale_id}/reverse",
    response={200: SaleOut, **ERRORS},
    summary="Reverse a sale: give back exactly what it took (a cashier: with a manager's "
    "authorisation)",
)
def sale_reverse(
    request: HttpRequest,
    payload: SaleReverseIn,
    sale_id: int = SaleId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    actor = actor_of(request)
    auth = payload.authorised_by
    sale = services.sale_reverse(
        actor=actor,
        sale_id=sale_id,
        reason=payload.reason,
        idempotency_key=require_key(idempotency_key),
        authorised_by=(
            services.ManagerAuthorisation(auth.username, auth.password, request)
            if auth is not None
            else None
        ),
    )
    return _receipt(sale, actor)


@router.post(
    "/sales/{number}/supplement-points",
    response={200: SaleOut, **ERRORS},
    summary="Credit a walk-in sale's points to a card (补积分)",
)
def sale_supplement_points(
    request: HttpRequest,
    payload: SupplementIn,
    number: str = SaleNumber,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    actor = actor_of(request)
    sale = services.sale_supplement_points(
        actor=actor,
        sale_number=number,
        card_id=payload.card_id,
        idempotency_key=require_key(idempotency_key),
    )
    return _receipt(sale, actor)
