"""Stock endpoints (I2): levels, movements, purchase-in, adjustments, stocktakes,
transfers, the selling-below-zero policy, tracked products and reorder points.

Reads need ``stock.view`` and show the stores in the caller's view. Writes that move stock
take an ``Idempotency-Key`` (a retried request returns the first result); writes that set a
value (counts, policy, tracking, reorder point) are idempotent by nature.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.money import IdempotencyKey, require_key
from huiyuan.api.schemas.stock import (
    AdjustmentIn,
    CountsIn,
    LevelOut,
    LevelPageOut,
    LevelQuery,
    MovementPageOut,
    MovementQuery,
    PolicyIn,
    PolicyOut,
    PurchaseIn,
    PurchaseOut,
    ReceiveIn,
    ReorderPointIn,
    StockMovementOut,
    StocktakeIn,
    StocktakeOut,
    StocktakePostIn,
    TrackedIn,
    TrackedOut,
    TransferIn,
    TransferOut,
    TransferPageOut,
    TransferQuery,
)
from huiyuan.catalog.models import Product
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.stock import selectors, services
from huiyuan.stock.models import (
    Movement,
    Purchase,
    StockLevel,
    Stocktake,
    StoreStockPolicy,
    Transfer,
)
from huiyuan.stock.services.config import below_zero_policy_chain
from huiyuan.stores.models import Store

router = Router(tags=["stock"])

StocktakeId = Path(..., ge=1, le=MAX_ID, description="Stocktake id.")
TransferId = Path(..., ge=1, le=MAX_ID, description="Transfer id.")
ProductId = Path(..., ge=1, le=MAX_ID, description="Product id.")
StoreId = Path(..., ge=1, le=MAX_ID, description="Store id.")


def _store(store: Store) -> dict[str, Any]:
    return {"id": store.pk, "code": store.code, "name": store.name}


def _product(product: Product) -> dict[str, Any]:
    return {"id": product.pk, "sku": product.sku, "name": product.name, "unit": product.unit}


def _level(level: StockLevel) -> dict[str, Any]:
    return {
        "store": _store(level.store),
        "product": _product(level.product),
        "on_hand_milli": level.on_hand_milli,
        "reorder_point_milli": level.reorder_point_milli,
        "low": level.is_low,
    }


def _movement(move: Movement) -> dict[str, Any]:
    fields = (
        "id", "kind", "quantity_milli", "balance_after_milli", "unit_cost_fen", "cost_fen",
        "supplier", "reason", "reference", "actor_label", "created_at",
    )  # fmt: skip
    return {
        **{name: getattr(move, name) for name in fields},
        "store": _store(move.store),
        "product": _product(move.product),
    }


def _purchase(purchase: Purchase) -> dict[str, Any]:
    lines = purchase.lines.select_related("product").order_by("id")
    return {
        "id": purchase.pk,
        "store": _store(purchase.store),
        "supplier": purchase.supplier,
        "note": purchase.note,
        "total_cost_fen": purchase.total_cost_fen,
        "created_at": purchase.created_at,
        "lines": [
            {
                "product": _product(line.product),
                "quantity_milli": line.quantity_milli,
                "unit_cost_fen": line.unit_cost_fen,
                "cost_fen": line.cost_fen,
            }
            for line in lines
        ],
    }


def _stocktake(stocktake: Stocktake) -> dict[str, Any]:
    return {
        "id": stocktake.pk,
        "store": _store(stocktake.store),
        "status": stocktake.status,
        "note": stocktake.note,
        "created_at": stocktake.created_at,
        "posted_at": stocktake.posted_at,
        "lines": [
            {
                "product": _product(line.product),
                "expected_milli": line.expected_milli,
                "counted_milli": line.counted_milli,
                "variance_milli": line.variance_milli,
            }
            for line in selectors.stocktake_lines(stocktake)
        ],
    }


def _transfer(transfer: Transfer) -> dict[str, Any]:
    return {
        "id": transfer.pk,
        "from_store": _store(transfer.from_store),
        "to_store": _store(transfer.to_store),
        "status": transfer.status,
        "note": transfer.note,
        "receive_note": transfer.receive_note,
        "sent_at": transfer.sent_at,
        "received_at": transfer.received_at,
        "lines": [
            {
                "product": _product(line.product),
                "sent_milli": line.sent_milli,
                "received_milli": line.received_milli,
                "difference_milli": line.difference_milli,
            }
            for line in selectors.transfer_lines(transfer)
        ],
    }


def _viewer(request: HttpRequest) -> Actor:
    actor = actor_of(request)
    require(actor, Perm.STOCK_VIEW)
    return actor


# ---------------------------------------------------------------------------------- reads


@router.get(
    "/levels",
    response={200: LevelPageOut, **ERRORS},
    summary="Stock on hand per store and product (库存), with the low-stock filter",
)
def level_list(request: HttpRequest, filters: Query[LevelQuery]) -> dict[str, Any]:
    qs = selectors.level_list(
        actor=_viewer(request), store_id=filters.store_id, query=filters.q, low_only=filters.low
    )
    page = qs[filters.offset : filters.offset + filters.limit]
    return {
        "count": qs.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_level(level) for level in page],
    }


@router.get(
    "/movements",
    response={200: MovementPageOut, **ERRORS},
    summary="Stock movements (库存流水), newest first",
)
def movement_list(request: HttpRequest, filters: Query[MovementQuery]) -> dict[str, Any]:
    qs = selectors.movement_list(
        actor=_viewer(request),
        store_id=filters.store_id,
        product_id=filters.product_id,
        kind=filters.kind or "",
    )
    page = qs[filters.offset : filters.offset + filters.limit]
    return {
        "count": qs.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_movement(m) for m in page],
    }


# -------------------------------------------------------------------------------- writes


@router.post("/purchases", response={201: PurchaseOut, **ERRORS}, summary="Receive goods (进货)")
def purchase_receive(
    request: HttpRequest, payload: PurchaseIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    purchase = services.purchase_receive(
        actor=actor_of(request),
        store_id=payload.store_id,
        supplier=payload.supplier,
        note=payload.note,
        lines=[
            services.PurchaseLineInput(line.product_id, line.quantity_milli, line.unit_cost_fen)
            for line in payload.lines
        ],
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _purchase(purchase))


@router.post(
    "/adjustments",
    response={201: StockMovementOut, **ERRORS},
    summary="Adjust stock by hand, with a reason (库存调整)",
)
def stock_adjust(
    request: HttpRequest, payload: AdjustmentIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    movement = services.stock_adjust(
        actor=actor_of(request),
        store_id=payload.store_id,
        product_id=payload.product_id,
        quantity_milli=payload.quantity_milli,
        reason=payload.reason,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _movement(movement))


@router.post(
    "/stocktakes",
    response={201: StocktakeOut, **ERRORS},
    summary="Start a stocktake (盘点) with the expected quantities now",
)
def stocktake_create(
    request: HttpRequest, payload: StocktakeIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    stocktake = services.stocktake_create(
        actor=actor_of(request),
        store_id=payload.store_id,
        product_ids=payload.product_ids,
        note=payload.note,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _stocktake(stocktake))


@router.get(
    "/stocktakes/{int:stocktake_id}",
    response={200: StocktakeOut, **ERRORS},
    summary="A stocktake with its lines",
)
def stocktake_detail(request: HttpRequest, stocktake_id: int = StocktakeId) -> dict[str, Any]:
    return _stocktake(selectors.stocktake_get(actor=_viewer(request), stocktake_id=stocktake_id))


@router.put(
    "/stocktakes/{int:stocktake_id}/counts",
    response={200: StocktakeOut, **ERRORS},
    summary="Enter counted quantities",
)
def stocktake_count(
    request: HttpRequest, payload: CountsIn, stocktake_id: int = StocktakeId
) -> dict[str, Any]:
    stocktake = services.stocktake_count(
        actor=actor_of(request),
        stocktake_id=stocktake_id,
        counts={c.product_id: c.counted_milli for c in payload.counts},
    )
    return _stocktake(stocktake)


@router.post(
    "/stocktakes/{int:stocktake_id}/post",
    response={200: StocktakeOut, **ERRORS},
    summary="Post the variance of the counted lines and close the stocktake",
)
def stocktake_post(
    request: HttpRequest,
    payload: StocktakePostIn,
    stocktake_id: int = StocktakeId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    stocktake = services.stocktake_post(
        actor=actor_of(request),
        stocktake_id=stocktake_id,
        idempotency_key=require_key(idempotency_key),
    )
    return _stocktake(stocktake)


@router.post(
    "/transfers",
    response={201: TransferOut, **ERRORS},
    summary="Send goods to another store (调拨): out now, in transit",
)
def transfer_send(
    request: HttpRequest, payload: TransferIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    transfer = services.transfer_send(
        actor=actor_of(request),
        from_store_id=payload.from_store_id,
        to_store_id=payload.to_store_id,
        note=payload.note,
        lines=[
            services.TransferLineInput(line.product_id, line.quantity_milli)
            for line in payload.lines
        ],
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _transfer(transfer))


@router.get(
    "/transfers",
    response={200: TransferPageOut, **ERRORS},
    summary="Transfers from or to the stores in view",
)
def transfer_list(request: HttpRequest, filters: Query[TransferQuery]) -> dict[str, Any]:
    qs = selectors.transfer_list(
        actor=_viewer(request), store_id=filters.store_id, status=filters.status or ""
    )
    page = qs[filters.offset : filters.offset + filters.limit]
    return {
        "count": qs.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_transfer(t) for t in page],
    }


@router.get(
    "/transfers/{int:transfer_id}",
    response={200: TransferOut, **ERRORS},
    summary="A transfer with its lines",
)
def transfer_detail(request: HttpRequest, transfer_id: int = TransferId) -> dict[str, Any]:
    return _transfer(selectors.transfer_get(actor=_viewer(request), transfer_id=transfer_id))


@router.post(
    "/transfers/{int:transfer_id}/receive",
    response={200: TransferOut, **ERRORS},
    summary="Receive a transfer, with what actually arrived",
)
def transfer_receive(
    request: HttpRequest,
    payload: ReceiveIn,
    transfer_id: int = TransferId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    transfer = services.transfer_receive(
        actor=actor_of(request),
        transfer_id=transfer_id,
        received={r.product_id: r.quantity_milli for r in payload.received},
        note=payload.note,
        idempotency_key=require_key(idempotency_key),
    )
    return _transfer(transfer)


# ------------------------------------------------------------------------ configuration


def _policies() -> dict[str, Any]:
    return {
        "chain": below_zero_policy_chain(),
        "stores": {
            str(store_id): value
            for store_id, value in StoreStockPolicy.objects.values_list("store_id", "below_zero")
        },
    }


@router.get("/policy", response={200: PolicyOut, **ERRORS}, summary="Selling below zero: policies")
def policy_detail(request: HttpRequest) -> dict[str, Any]:
    _viewer(request)
    return _policies()


@router.put(
    "/policy",
    response={200: PolicyOut, **ERRORS},
    summary="Set the chain's (or a store's) selling-below-zero policy",
)
def policy_set(request: HttpRequest, payload: PolicyIn) -> dict[str, Any]:
    services.stock_policy_set(
        actor=actor_of(request), below_zero=payload.below_zero, store_id=payload.store_id
    )
    return _policies()


@router.put(
    "/items/{int:product_id}",
    response={200: TrackedOut, **ERRORS},
    summary="Keep (or stop keeping) stock of a product",
)
def item_set(
    request: HttpRequest, payload: TrackedIn, product_id: int = ProductId
) -> dict[str, Any]:
    item = services.stock_item_set(
        actor=actor_of(request), product_id=product_id, tracked=payload.tracked
    )
    return {"product_id": item.product_id, "tracked": item.tracked}


@router.put(
    "/levels/{int:store_id}/{int:product_id}/reorder-point",
    response={200: LevelOut, **ERRORS},
    summary="A product's reorder point at a store (low-stock list)",
)
def reorder_point_set(
    request: HttpRequest,
    payload: ReorderPointIn,
    store_id: int = StoreId,
    product_id: int = ProductId,
) -> dict[str, Any]:
    level = services.reorder_point_set(
        actor=actor_of(request),
        store_id=store_id,
        product_id=product_id,
        reorder_point_milli=payload.reorder_point_milli,
    )
    level = StockLevel.objects.select_related("store", "product").get(pk=level.pk)
    return _level(level)
