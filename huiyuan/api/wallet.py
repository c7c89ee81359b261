"""Wallet endpoints: recharge and refund stored value (each with an Idempotency-Key)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Path, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.money import IdempotencyKey, balances_out, require_key
from huiyuan.api.schemas.wallet import (
    RechargeIn,
    RechargeOut,
    RechargePackageOut,
    RefundIn,
    RefundOut,
)
from huiyuan.cards.selectors import card_balances_after
from huiyuan.stores.services import ManagerAuthorisation
from huiyuan.wallet import selectors, services
from huiyuan.wallet.models import Recharge, RechargePackage, Refund

router = Router(tags=["wallet"])

CardId = Path(..., ge=1, le=MAX_ID, description="Card id.")


def _receipt(record: Recharge | Refund) -> dict[str, object]:
    """The record with the card's balances right after it (the same on every replay)."""
    balances = card_balances_after(card_id=record.card_id, operation_id=record.operation_id)
    return {
        **{f: getattr(record, f) for f in ("id", "operation_id", "member_id", "store_id")},
        "card": record.card,
        "method": record.method,
        "principal_fen": record.principal_fen,
        "created_at": record.created_at,
        "balances_after": balances_out(balances),
        **(
            {"bonus_fen": record.bonus_fen, "package_id": record.package_id}
            if isinstance(record, Recharge)
            else {"bonus_clawback_fen": record.bonus_clawback_fen, "reason": record.reason}
        ),
    }


@router.post(
    "/cards/{int:card_id}/recharge",
    response={201: RechargeOut, **ERRORS},
    summary="Recharge stored value (充值)",
)
def wallet_recharge(
    request: HttpRequest,
    payload: RechargeIn,
    card_id: int = CardId,
    idempotency_key: str = IdempotencyKey,
) -> Status[dict[str, object]]:
    recharge = services.wallet_recharge(
        actor=actor_of(request),
        card_id=card_id,
        amount_fen=payload.amount_fen,
        method=payload.method,
        package_id=payload.package_id,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, _receipt(recharge))


@router.post(
    "/cards/{int:card_id}/refund",
    response={201: RefundOut, **ERRORS},
    summary="Refund stored value (退款; a cashier: with a manager's authorisation)",
)
def wallet_refund(
    request: HttpRequest,
    payload: RefundIn,
    card_id: int = CardId,
    idempotency_key: str = IdempotencyKey,
) -> Status[dict[str, object]]:
    auth = payload.authorised_by
    refund = services.wallet_refund(
        actor=actor_of(request),
        card_id=card_id,
        amount_fen=payload.amount_fen,
        method=payload.method,
        reason=payload.reason,
        idempotency_key=require_key(idempotency_key),
        authorised_by=(
            ManagerAuthorisation(auth.username, auth.password, request)
            if auth is not None
            else None
        ),
    )
    return Status(201, _receipt(refund))


@router.get(
    "/recharge-packages",
    response={200: list[RechargePackageOut], **ERRORS},
    summary="Recharge packages on offer",
)
def recharge_package_list(request: HttpRequest) -> list[RechargePackage]:
    return selectors.recharge_packages()
