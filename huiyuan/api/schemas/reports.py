"""Report schemas: stored value outstanding (预收款) and the points liability."""

from __future__ import annotations

from ninja import Field, Schema

from huiyuan.api.schemas.common import BusinessDateTime, In, QueryId, StoreRef

STORE_FILTER = (
    "Only this store. A store-scoped caller sees its own stores only; head office sees the "
    "whole chain unless it names a store."
)


class ReportStoreQuery(In):
    store_id: QueryId | None = Field(None, description=STORE_FILTER)


class OutstandingQuery(ReportStoreQuery):
    until: BusinessDateTime | None = Field(
        None, description="Flows before this moment; default: all."
    )


class StoreOutstandingOut(Schema):
    store: StoreRef
    recharged_fen: int = Field(..., description="Principal received at this store.")
    spent_here_fen: int = Field(..., description="Stored value spent at this store.")
    refunded_fen: int
    bonus_granted_fen: int
    net_fen: int = Field(..., description="Recharged − refunded − spent here (for settlement).")


class OutstandingTotalOut(Schema):
    principal_fen: int
    bonus_fen: int


class OutstandingOut(Schema):
    total: OutstandingTotalOut = Field(
        ...,
        description="Stored value held for members now on the cards of the stores in view "
        "(a card counts at its home store).",
    )
    stores: list[StoreOutstandingOut]


class PointsLiabilityOut(Schema):
    points: int = Field(..., description="Points outstanding on member cards.")
    pending: int = Field(0, description="Of which pending: earned, in the return window (P1).")
    spendable: int = Field(0, description="Of which spendable now (points less pending).")
    cards: int = Field(..., description="Cards holding points.")
    value_fen: int = Field(..., description="Their value at the offset rate.")
    issued: int
    redeemed: int
    expired: int
    adjusted: int
