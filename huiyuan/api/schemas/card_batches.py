"""Pre-made card batch schemas (卡密): generate, sell, void, report; activate a card.

Secret codes never leave through the API: a batch's codes are printed from the console by
the owner or head office only (audited). The buyer's contact is not in any response.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictInt, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from huiyuan.api.schemas.cards import CardNumber, CardOut, CardTypeRef
from huiyuan.api.schemas.common import (
    BusinessDate,
    Id,
    In,
    OptionalReason,
    QueryId,
    QueryInt,
    Reason,
    StoreRef,
    documented,
)
from huiyuan.api.schemas.wallet import Method
from huiyuan.cards.batches import MAX_CARDS, MAX_FACE_FEN, TEXT_MAX
from huiyuan.cards.services import MAX_VALIDITY_MONTHS
from huiyuan.core.bounds import VISIBLE_TEXT_PATTERN

BatchStatus = Literal["generating", "generated", "selling", "sold"]
BatchState = Literal[
    "generating",
    "generated",
    "selling",
    "sold",
    "partially_activated",
    "activated",
    "closed",
    "voided",
]

Company = Annotated[
    str,
    StringConstraints(max_length=TEXT_MAX),
    documented(minLength=1, pattern=VISIBLE_TEXT_PATTERN),
]


class CardBatchCreateIn(In):
    card_type_id: Id = Field(..., description="The cards' type; its prepaid limit applies.")
    count: Annotated[StrictInt, Field(ge=1, le=MAX_CARDS)] = Field(
        ..., description="Cards in the batch (1–10,000)."
    )
    face_value_fen: Annotated[StrictInt, Field(ge=1, le=MAX_FACE_FEN)] = Field(
        ...,
        description="Stored value on each card, in fen; at most the card type's prepaid "
        "limit (`prepaid_limit_exceeded`).",
    )
    store_id: Id = Field(..., description="The store that sells the batch (the cards' home).")
    buyer_company: Company = Field(..., description="The buying company (`buyer_required`).")
    buyer_contact: Annotated[str, StringConstraints(max_length=TEXT_MAX)] = Field(
        "", description="Contact person and telephone; kept encrypted, never returned."
    )
    validity_months: Annotated[StrictInt, Field(ge=1, le=MAX_VALIDITY_MONTHS)] | None = Field(
        None, description="Validity from activation; default: the card type's."
    )
    activate_by: BusinessDate | None = Field(
        None, description="Last local date a code may be used; not in the past."
    )
    note: OptionalReason = ""


class CardBatchSellIn(In):
    method: Method = Field(..., description="How the company paid.")


class CardBatchVoidIn(In):
    reason: Reason
    method: Method = Field(..., description="How the buyer is paid back.")
    card_numbers: list[CardNumber] | None = Field(
        None,
        min_length=1,
        max_length=MAX_CARDS,
        description="Only these cards (each still awaiting activation); left out: every "
        "card of the batch awaiting activation.",
    )


class CardActivateIn(In):
    card_number: CardNumber
    code: Annotated[str, StringConstraints(min_length=1, max_length=40)] = Field(
        ...,
        description="The secret code: 16 characters; case, spaces and dashes do not matter.",
    )
    member_id: Id | None = Field(
        None, description="The member the card is for; required for a named card type."
    )


class CardBatchPageQuery(In):
    store_id: QueryId | SkipJsonSchema[None] = Field(
        None, description="Only batches sold by this store."
    )
    limit: QueryInt = Field(50, ge=1, le=200)
    offset: QueryInt = Field(0, ge=0, le=1_000_000)


class CardBatchCountsOut(Schema):
    generated: int
    sold: int = Field(..., description="Cards whose face value was received.")
    pending: int = Field(..., description="Cards awaiting activation.")
    activated: int
    voided: int


class CardBatchRowOut(Schema):
    id: int
    status: BatchStatus = Field(..., description="How far generation and sale have got.")
    state: BatchState = Field(..., description="The batch as people read it.")
    card_type: CardTypeRef
    store: StoreRef = Field(..., description="The selling store.")
    buyer_company: str
    count: int
    face_value_fen: int
    validity_months: int | None
    activate_by: dt.date | None
    payment_method: str = Field(..., description="How the company paid; empty until sold.")
    created_at: dt.datetime
    generated_at: dt.datetime | None
    sold_at: dt.datetime | None
    counts: CardBatchCountsOut


class CardBatchMoneyOut(Schema):
    received_fen: int = Field(..., description="The company's payment received.")
    activated_fen: int = Field(..., description="Of it, on cards since activated.")
    held_fen: int = Field(..., description="On sold cards still awaiting activation.")
    refunded_fen: int = Field(..., description="Paid back to the buyer for voided cards.")
    difference_fen: int = Field(
        ..., description="received − activated − held − refunded: 0 when reconciled."
    )
    balance_on_activated_fen: int = Field(..., description="Principal on activated cards now.")
    spent_fen: int = Field(..., description="Principal paid out of activated cards since.")


class CardBatchOut(CardBatchRowOut):
    note: str
    export_count: int = Field(..., description="How often the codes were printed.")
    used: int = Field(..., description="Activated cards stored value was paid out of.")
    expired_pending: int = Field(..., description="Awaiting activation after the last day.")
    expired_activated: int = Field(..., description="Activated cards past their validity.")
    money: CardBatchMoneyOut


class CardBatchPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[CardBatchRowOut]


class CardBatchVoidOut(Schema):
    id: int
    batch_id: int
    status: Literal["running", "done"]
    cards_voided: int
    refunded_fen: int
    method: str
    reason: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    batch: CardBatchOut


class CardActivationOut(Schema):
    batch_id: int
    serial: int
    activated_at: dt.datetime
    card: CardOut
