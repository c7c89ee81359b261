"""Wallet schemas: recharge and refund input (integer fen), their receipts, packages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StrictInt

from huiyuan.api.schemas.common import Id, In, Reason
from huiyuan.api.schemas.money import BalancesOut
from huiyuan.wallet.services import MAX_SINGLE_RECHARGE_FEN

# The values of ``huiyuan.wallet.models.PaymentMethod``.
Method = Literal["cash", "bank_card", "wechat", "alipay", "terminal", "online", "enterprise"]
# How the rest of a bill is paid, or "" when stored value and points cover it.
ExternalMethod = Literal[
    "", "cash", "bank_card", "wechat", "alipay", "terminal", "online", "enterprise"
]


class RechargeIn(In):
    amount_fen: Annotated[StrictInt, Field(ge=1, le=MAX_SINGLE_RECHARGE_FEN)] = Field(
        ..., description="Principal paid in, in fen."
    )
    method: Method
    package_id: Id | None = Field(None, description="A recharge package (充值套餐) adding bonus.")


class ManagerIn(In):
    """A manager's authorisation for a cashier's return, reversal or refund (the console's
    manager username and password fields)."""

    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=128)


class RefundIn(In):
    amount_fen: Annotated[StrictInt, Field(ge=1, le=MAX_SINGLE_RECHARGE_FEN * 100)] = Field(
        ..., description="Principal paid back, in fen; bonus is clawed back pro rata."
    )
    method: Method
    reason: Reason
    authorised_by: ManagerIn | None = Field(
        None,
        description=(
            "A manager's username and password, for a caller without `wallet.refund` "
            "(a cashier, who needs `wallet.recharge`): checked before anything is written "
            "(`authorisation_failed`, `authoriser_not_allowed`: someone who may refund at "
            "this store), and named in the audit with the caller. Left out, the caller "
            "needs `wallet.refund` (`permission_denied`)."
        ),
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "amount_fen": 10000,
                    "method": "cash",
                    "reason": "顾客要求退款",
                    "authorised_by": {"username": "manager01", "password": "Correct-Horse-9"},
                }
            ]
        },
    )


class CardRef(Schema):
    id: int
    number: str


class RechargeOut(Schema):
    id: int
    operation_id: int
    card: CardRef
    member_id: int | None
    store_id: int
    method: str
    principal_fen: int
    bonus_fen: int
    package_id: int | None
    created_at: dt.datetime
    balances_after: BalancesOut


class RefundOut(Schema):
    id: int
    operation_id: int
    card: CardRef
    member_id: int | None
    store_id: int
    method: str
    principal_fen: int
    bonus_clawback_fen: int
    reason: str
    created_at: dt.datetime
    balances_after: BalancesOut


class RechargePackageOut(Schema):
    id: int
    name: str
    pay_fen: int
    bonus_fen: int
    bonus_valid_days: int | None
    is_active: bool = Field(..., description="Offered at the counter now.")
