"""Online recharge endpoints (W1): open an order for a card, read its status.

The payer pays at the provider (``pay_url`` or ``qr_content``); the provider's verified
notification books the recharge (``/pay/notify/<provider>/``), so integrators poll the
order until its status is ``paid`` (or ``failed``). Creating an order takes an
``Idempotency-Key``; a replay returns the first order.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Path, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.money import IdempotencyKey, require_key
from huiyuan.api.schemas.payments import OnlineOrderIn, OnlineOrderOut
from huiyuan.payments import selectors, services
from huiyuan.payments.models import OnlineOrder

router = Router(tags=["payments"])

OrderId = Path(..., ge=1, le=MAX_ID, description="Online order id.")
FIELDS = (
    "id",
    "number",
    "provider",
    "channel",
    "card_id",
    "member_id",
    "store_id",
    "amount_fen",
    "bonus_fen",
    "package_id",
    "status",
    "pay_url",
    "qr_content",
    "provider_trade_no",
    "recharge_id",
    "failure_code",
    "created_at",
    "paid_at",
)


def order_out(order: OnlineOrder) -> dict[str, object]:
    return {f: getattr(order, f) for f in FIELDS}


@router.post(
    "/payments/orders",
    response={201: OnlineOrderOut, **ERRORS},
    summary="Open an online recharge order (在线充值)",
)
def online_order_create(
    request: HttpRequest, payload: OnlineOrderIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, object]]:
    order = services.online_order_create(
        actor=actor_of(request),
        card_id=payload.card_id,
        amount_fen=payload.amount_fen,
        package_id=payload.package_id,
        provider=payload.provider,
        notify_base_url=selectors.notify_base_url(request.build_absolute_uri("/")),
        return_url=payload.return_url,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, order_out(order))


@router.get(
    "/payments/orders/{int:order_id}",
    response={200: OnlineOrderOut, **ERRORS},
    summary="An online recharge order and its status",
)
def online_order_get(request: HttpRequest, order_id: int = OrderId) -> dict[str, object]:
    return order_out(selectors.order_get(actor=actor_of(request), order_id=order_id))
