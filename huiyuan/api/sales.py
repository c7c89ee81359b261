"""Sale endpoints: quick consumption (快速消费), receipts, reversal, supplementary points.

Every write takes an Idempotency-Key: a POS may resend a sale after a timeout and gets the
first receipt back, never a second charge.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Path, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.money import IdempotencyKey, require_key
from huiyuan.api.schemas.sales import QuickSaleIn, SaleOut, SaleReverseIn, SupplementIn, sale_out
from huiyuan.checkout import selectors, services
from huiyuan.checkout.models import Sale
from huiyuan.core.errors import NotFound

router = Router(tags=["sales"])

SaleId = Path(..., ge=1, le=MAX_ID, description="Sale id.")
SaleNumber = Path(..., pattern=r"^[0-9A-Za-z]{1,30}$", description="Receipt number.")


def _receipt(sale: Sale | None) -> dict[str, Any]:
    if sale is None:
        raise NotFound(_("Sale not found."), code="sale_not_found")
    return sale_out(sale, selectors.sale_balances_after(sale))


@router.post("/sales/quick", response={201: SaleOut, **ERRORS}, summary="Quick consumption")
def sale_quick(
    request: HttpRequest, payload: QuickSaleIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    sale = services.sale_quick(
        actor=actor_of(request),
        data=services.QuickSaleInput(
            amount_fen=payload.amount_fen,
            card_id=payload.card_id,
            category=payload.category,
            balance_fen=payload.balance_fen,
            points=payload.points,
            external_method=payload.external_method,
        ),
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _receipt(sale))


@router.get(
    "/sales/by-number/{number}",
    response={200: SaleOut, **ERRORS},
    summary="A receipt by its number",
)
def sale_by_number(request: HttpRequest, number: str = SaleNumber) -> dict[str, Any]:
    return _receipt(selectors.sale_get(actor=actor_of(request), number=number))


@router.get("/sales/{int:sale_id}", response={200: SaleOut, **ERRORS}, summary="A receipt")
def sale_detail(request: HttpRequest, sale_id: int = SaleId) -> dict[str, Any]:
    return _receipt(selectors.sale_get(actor=actor_of(request), sale_id=sale_id))


@router.post(
    "/sales/{int:sale_id}/reverse",
    response={200: SaleOut, **ERRORS},
    summary="Reverse a sale: give back exactly what it took",
)
def sale_reverse(
    request: HttpRequest,
    payload: SaleReverseIn,
    sale_id: int = SaleId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    sale = services.sale_reverse(
        actor=actor_of(request),
        sale_id=sale_id,
        reason=payload.reason,
        idempotency_key=require_key(idempotency_key),
    )
    return _receipt(sale)


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
    sale = services.sale_supplement_points(
        actor=actor_of(request),
        sale_number=number,
        card_id=payload.card_id,
        idempotency_key=require_key(idempotency_key),
    )
    return _receipt(sale)
