"""Online recharge schemas: an order for a card (integer fen) and its status."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictInt

from huiyuan.api.schemas.common import Id, In
from huiyuan.wallet.services import MAX_SINGLE_RECHARGE_FEN

Provider = Literal["sandbox", "wechat", "alipay"]


class OnlineOrderIn(In):
    card_id: Id = Field(..., description="The card to recharge.")
    amount_fen: Annotated[StrictInt, Field(ge=1, le=MAX_SINGLE_RECHARGE_FEN)] = Field(
        ..., description="Amount the payer pays, in fen (a package's exact price with one)."
    )
    package_id: Id | None = Field(None, description="A recharge package (充值套餐) adding bonus.")
    provider: Provider = Field(..., description="Payment provider (enabled ones only).")
    return_url: str = Field(
        "", max_length=500, description="Where the payer returns to; `{number}`: the order number."
    )


class OnlineOrderOut(Schema):
    id: int
    number: str = Field(..., description="Our order number (the provider's out_trade_no).")
    provider: str
    channel: str
    card_id: int
    member_id: int | None
    store_id: int
    amount_fen: int
    bonus_fen: int
    package_id: int | None
    status: str = Field(..., description="pending, paid, or failed (paid, recharge refused).")
    pay_url: str = Field(..., description="A page to send the payer to (or empty).")
    qr_content: str = Field(..., description="What a QR code to scan carries (or empty).")
    provider_trade_no: str
    recharge_id: int | None
    failure_code: str
    created_at: dt.datetime
    paid_at: dt.datetime | None
