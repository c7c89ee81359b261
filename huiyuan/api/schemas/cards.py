"""Card schemas: issue and lifecycle input; a card with its balances, lots and entries."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictInt, StringConstraints

from huiyuan.api.schemas.common import Id, In, OptionalReason, QueryInt, StoreRef
from huiyuan.cards.selectors import CardBalances
from huiyuan.cards.services import MAX_VALIDITY_MONTHS
from huiyuan.ledger.models import Entry, Lot

CardNumber = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{6,32}$")]
Reason = OptionalReason


class CardIssueIn(In):
    card_type_id: Id
    member_id: Id | None = Field(None, description="The holder; null only for a bearer card type.")
    number: CardNumber | None = Field(
        None, description="A physical card's number; left out: an electronic number is made."
    )
    store_id: Id | None = Field(None, description="Issuing store; default: the caller's store.")


class HolderIn(In):
    member_id: Id


class CardReasonIn(In):
    reason: Reason = ""


class ReissueIn(In):
    number: CardNumber | None = Field(None, description="The new card's number, if physical.")
    reason: Reason = ""


class RenewIn(In):
    months: Annotated[StrictInt, Field(ge=1, le=MAX_VALIDITY_MONTHS)] | None = Field(
        None,
        description="Default: the card type's validity. A card is valid for at most 100 "
        "years from today (`validity_too_long`).",
    )


class CardTypeOut(Schema):
    id: int
    code: str
    name: str
    category: str
    holding: str
    anonymous: bool
    validity_months: int | None
    max_holders: int


class CardTypeRef(Schema):
    id: int
    code: str
    name: str


class CardBalancesOut(Schema):
    principal_fen: int = Field(..., description="Stored value paid in (本金).")
    bonus_fen: int = Field(..., description="Bonus (赠送金), including lots expired but not swept.")
    points: int = Field(..., description="Points, including lots expired but not swept.")
    bonus_available_fen: int = Field(..., description="Bonus that can be spent now.")
    points_available: int = Field(..., description="Points that can be spent now.")
    points_pending: int = Field(
        0, description="Points earned but pending until the return window ends (P1)."
    )
    points_pending_next: dt.datetime | None = Field(
        None, description="When the next pending points become spendable."
    )
    available_fen: int = Field(..., description="Stored value that can pay a bill now.")


class CardOut(Schema):
    id: int
    number: str
    status: Literal["active", "lost", "void", "cancelled", "pending"] = Field(
        ..., description="`pending`: a pre-made card awaiting activation with its code."
    )
    card_type: CardTypeRef
    member_id: int | None
    store: StoreRef = Field(..., description="The issuing store.")
    issued_at: dt.datetime
    expires_at: dt.datetime | None
    replaced_by: str | None = Field(..., description="The new card's number after a reissue.")
    status_reason: str
    balances: CardBalancesOut

    @staticmethod
    def resolve_id(b: CardBalances) -> int:
        return b.card.pk

    @staticmethod
    def resolve_number(b: CardBalances) -> str:
        return b.card.number

    @staticmethod
    def resolve_status(b: CardBalances) -> str:
        return b.card.status

    @staticmethod
    def resolve_card_type(b: CardBalances) -> object:
        return b.card.card_type

    @staticmethod
    def resolve_member_id(b: CardBalances) -> int | None:
        return b.card.member_id

    @staticmethod
    def resolve_store(b: CardBalances) -> object:
        return b.card.store

    @staticmethod
    def resolve_issued_at(b: CardBalances) -> dt.datetime:
        return b.card.issued_at

    @staticmethod
    def resolve_expires_at(b: CardBalances) -> dt.datetime | None:
        return b.card.expires_at

    @staticmethod
    def resolve_replaced_by(b: CardBalances) -> str | None:
        return b.card.replaced_by.number if b.card.replaced_by_id and b.card.replaced_by else None

    @staticmethod
    def resolve_status_reason(b: CardBalances) -> str:
        return b.card.status_reason

    @staticmethod
    def resolve_balances(b: CardBalances) -> dict[str, object]:
        return {
            "principal_fen": b.principal,
            "bonus_fen": b.bonus,
            "points": b.points,
            "bonus_available_fen": b.bonus_available,
            "points_available": b.points_available,
            "points_pending": b.points_pending,
            "points_pending_next": b.points_pending_next,
            "available_fen": b.principal + b.bonus_available,
        }


class HolderOut(Schema):
    card_id: int
    member_id: int
    added_at: dt.datetime


class LotOut(Schema):
    id: int
    kind: Literal["bonus", "points"] = Field(
        ..., description="Bonus lots count fen; points lots points."
    )
    amount: int
    remaining: int
    expires_at: dt.datetime | None
    expired: bool
    store_id: int | None
    source_kind: str
    created_at: dt.datetime

    @staticmethod
    def resolve_kind(lot: Lot) -> str:
        return lot.account.kind

    @staticmethod
    def resolve_expired(lot: Lot) -> bool:
        return lot.expires_at is not None and lot.expires_at <= dt.datetime.now(dt.UTC)


class EntryOut(Schema):
    id: int
    created_at: dt.datetime
    account: Literal["principal", "bonus", "points"]
    delta: int = Field(..., description="Fen for principal and bonus, points for points.")
    balance_after: int
    kind: str = Field(..., description="What moved: recharge, spend, earn, redeem, refund…")
    operation_id: int
    operation_kind: str
    memo: str
    operator: str | None

    @staticmethod
    def resolve_account(entry: Entry) -> str:
        return entry.account.kind

    @staticmethod
    def resolve_balance_after(entry: Entry) -> int:
        return entry.balance_after or 0

    @staticmethod
    def resolve_kind(entry: Entry) -> str:
        return entry.transfer.kind

    @staticmethod
    def resolve_operation_id(entry: Entry) -> int:
        return entry.transfer.operation_id

    @staticmethod
    def resolve_operation_kind(entry: Entry) -> str:
        return entry.transfer.operation.kind

    @staticmethod
    def resolve_memo(entry: Entry) -> str:
        return entry.transfer.operation.memo

    @staticmethod
    def resolve_operator(entry: Entry) -> str | None:
        operator = entry.transfer.operation.operator
        return operator.display_name if operator is not None else None


class EntryPageQuery(In):
    limit: QueryInt = Field(50, ge=1, le=200)
    offset: QueryInt = Field(0, ge=0, le=1_000_000)


class EntryPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[EntryOut]
