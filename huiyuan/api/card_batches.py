"""Pre-made card batch endpoints (卡密): generate, list, report, sell, void; activate a card.

Every write takes a required Idempotency-Key. Secret codes are never returned: they are
printed from the console by the owner or head office (audited). Activation attempts are
limited per card number, per caller and per address (``activation_locked``, 429).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.card_batches import (
    CardActivateIn,
    CardActivationOut,
    CardBatchCreateIn,
    CardBatchOut,
    CardBatchPageOut,
    CardBatchPageQuery,
    CardBatchSellIn,
    CardBatchVoidIn,
    CardBatchVoidOut,
)
from huiyuan.api.schemas.common import ERRORS, MAX_ID, ErrorOut
from huiyuan.api.schemas.money import IdempotencyKey, require_key
from huiyuan.cards import activation, batch_void, batches, selectors
from huiyuan.cards.models import CardBatchVoid
from huiyuan.cards.selectors import BatchReport, BatchRow
from huiyuan.core.client import client_ip
from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor

router = Router(tags=["card batches"])

BatchId = Path(..., ge=1, le=MAX_ID, description="Card batch id.")


def _row(row: BatchRow) -> dict[str, Any]:
    batch = row.batch
    return {
        "id": batch.pk,
        "status": batch.status,
        "state": row.state,
        "card_type": batch.card_type,
        "store": batch.store,
        "buyer_company": batch.buyer_company,
        "count": batch.count,
        "face_value_fen": batch.face_value_fen,
        "validity_months": batch.validity_months,
        "activate_by": batch.activate_by,
        "payment_method": batch.payment_method,
        "created_at": batch.created_at,
        "generated_at": batch.generated_at,
        "sold_at": batch.sold_at,
        "counts": row.counts.__dict__,
    }


def _report(report: BatchReport) -> dict[str, Any]:
    return {
        **_row(report.row),
        "note": report.batch.note,
        "export_count": report.batch.export_count,
        "used": report.used,
        "expired_pending": report.expired_pending,
        "expired_activated": report.expired_activated,
        "money": {
            "received_fen": report.received_fen,
            "activated_fen": report.activated_fen,
            "held_fen": report.held_fen,
            "refunded_fen": report.refunded_fen,
            "difference_fen": report.difference_fen,
            "balance_on_activated_fen": report.balance_on_activated_fen,
            "spent_fen": report.spent_fen,
        },
    }


def _batch(actor: Actor, batch_id: int) -> dict[str, Any]:
    report = selectors.card_batch_report(actor=actor, batch_id=batch_id)
    if report is None:
        raise NotFound(_("Card batch not found."), code="card_batch_not_found")
    return _report(report)


@router.post(
    "/card-batches",
    response={201: CardBatchOut, **ERRORS},
    summary="Generate a batch of pre-made cards (卡密)",
)
def card_batch_create(
    request: HttpRequest, payload: CardBatchCreateIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    batch = batches.card_batch_create(
        actor=actor,
        data=batches.BatchInput(
            card_type_id=payload.card_type_id,
            count=payload.count,
            face_value_fen=payload.face_value_fen,
            store_id=payload.store_id,
            buyer_company=payload.buyer_company,
            buyer_contact=payload.buyer_contact,
            validity_months=payload.validity_months,
            activate_by=payload.activate_by,
            note=payload.note,
        ),
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _batch(actor, batch.pk))


@router.get(
    "/card-batches",
    response={200: CardBatchPageOut, **ERRORS},
    summary="Card batches of the stores in view, newest first",
)
def card_batch_list(request: HttpRequest, page: Query[CardBatchPageQuery]) -> dict[str, Any]:
    qs = selectors.card_batches(actor=actor_of(request), store_id=page.store_id)
    rows = selectors.batch_rows(list(qs[page.offset : page.offset + page.limit]))
    return {
        "count": qs.count(),
        "limit": page.limit,
        "offset": page.offset,
        "items": [_row(r) for r in rows],
    }


@router.get(
    "/card-batches/{int:batch_id}",
    response={200: CardBatchOut, **ERRORS},
    summary="A card batch with its report (counts and money, reconciled)",
)
def card_batch_detail(request: HttpRequest, batch_id: int = BatchId) -> dict[str, Any]:
    return _batch(actor_of(request), batch_id)


@router.post(
    "/card-batches/{int:batch_id}/sell",
    response={200: CardBatchOut, **ERRORS},
    summary="Sell the batch: receive the company's payment once",
)
def card_batch_sell(
    request: HttpRequest,
    payload: CardBatchSellIn,
    batch_id: int = BatchId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    actor = actor_of(request)
    batch = batches.card_batch_sell(
        actor=actor,
        batch_id=batch_id,
        method=payload.method,
        idempotency_key=require_key(idempotency_key),
    )
    return _batch(actor, batch.pk)


@router.post(
    "/card-batches/{int:batch_id}/void",
    response={201: CardBatchVoidOut, **ERRORS},
    summary="Void cards awaiting activation: their value back to the buyer",
)
def card_batch_void(
    request: HttpRequest,
    payload: CardBatchVoidIn,
    batch_id: int = BatchId,
    idempotency_key: str = IdempotencyKey,
) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    void: CardBatchVoid = batch_void.card_batch_void(
        actor=actor,
        batch_id=batch_id,
        reason=payload.reason,
        method=payload.method,
        card_numbers=payload.card_numbers,
        idempotency_key=require_key(idempotency_key),
    )
    body = {
        "id": void.pk,
        "batch_id": void.batch_id,
        "status": void.status,
        "cards_voided": void.cards_voided,
        "refunded_fen": void.refunded_fen,
        "method": void.method,
        "reason": void.reason,
        "created_at": void.created_at,
        "finished_at": void.finished_at,
        "batch": _batch(actor, void.batch_id),
    }
    return Status(201, body)


@router.post(
    "/cards/activate",
    response={201: CardActivationOut, 429: ErrorOut, **ERRORS},
    summary="Activate a pre-made card with its secret code",
)
def card_activate(
    request: HttpRequest, payload: CardActivateIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    entry = activation.card_activate(
        actor=actor_of(request),
        card_number=payload.card_number,
        code=payload.code,
        member_id=payload.member_id,
        idempotency_key=require_key(idempotency_key),
        client_address=client_ip(request) or "",
    )
    body = {
        "batch_id": entry.batch_id,
        "serial": entry.serial,
        "activated_at": entry.activated_at,
        "card": selectors.card_balances(entry.card),
    }
    return Status(201, body)
