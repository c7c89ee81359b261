"""Stock schemas: levels, movements, purchases, adjustments, stocktakes, transfers, policy.

Quantities are integer thousandths of the product's unit (``*_milli``: 2 pieces = 2000,
12.345 L = 12345); costs are integer fen per whole unit. Ids, quantities and fen are JSON
integers (``true``, ``1.0`` and ``"5"`` are refused).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt
from pydantic.json_schema import SkipJsonSchema

from huiyuan.api.schemas.catalog import NAME_PATTERN, TEXT_PATTERN
from huiyuan.api.schemas.common import Id, In, QueryBool, QueryId, QueryInt
from huiyuan.stock.services.common import MAX_LINES, MAX_QUANTITY_MILLI, MAX_UNIT_COST_FEN

Quantity = Annotated[
    StrictInt,
    Field(ge=1, le=MAX_QUANTITY_MILLI, description="Thousandths of the product's unit."),
]
QuantityOrZero = Annotated[
    StrictInt,
    Field(ge=0, le=MAX_QUANTITY_MILLI, description="Thousandths of the product's unit."),
]
SignedQuantity = Annotated[
    StrictInt,
    Field(
        ge=-MAX_QUANTITY_MILLI,
        le=MAX_QUANTITY_MILLI,
        description="Thousandths of the unit: > 0 adds, < 0 takes away; not 0.",
        json_schema_extra={"not": {"const": 0}},
    ),
]
MovementKind = Literal[
    "purchase_in", "sale_out", "return_in", "stocktake", "transfer_out", "transfer_in", "adjust"
]
Policy = Literal["allow", "refuse"]


class ProductRef(Schema):
    id: int
    sku: str
    name: str
    unit: str


class StoreRef(Schema):
    id: int
    code: str
    name: str


# ---------------------------------------------------------------------------------- reads


class LevelQuery(In):
    store_id: QueryId | SkipJsonSchema[None] = Field(
        None, description="Default: every store in view."
    )
    q: str = Field("", max_length=60, description="Name, pinyin initials, SKU or barcode.")
    low: QueryBool = Field(False, description="Only products at or below their reorder point.")
    limit: QueryInt = Field(50, ge=1, le=100)
    offset: QueryInt = Field(0, ge=0, le=1_000_000)


class LevelOut(Schema):
    store: StoreRef
    product: ProductRef
    on_hand_milli: int
    reorder_point_milli: int | None
    low: bool = Field(..., description="At or below the reorder point.")


class LevelPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[LevelOut]


class MovementQuery(In):
    store_id: QueryId | SkipJsonSchema[None] = None
    product_id: QueryId | SkipJsonSchema[None] = None
    kind: MovementKind | SkipJsonSchema[None] = None
    limit: QueryInt = Field(50, ge=1, le=100)
    offset: QueryInt = Field(0, ge=0, le=1_000_000)


class StockMovementOut(Schema):
    id: int
    store: StoreRef
    product: ProductRef
    kind: str
    quantity_milli: int = Field(..., description="Signed: + in, − out.")
    balance_after_milli: int = Field(..., description="On hand right after it.")
    unit_cost_fen: int | None
    cost_fen: int | None
    supplier: str
    reason: str
    reference: str
    actor_label: str
    created_at: dt.datetime


class MovementPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[StockMovementOut]


# -------------------------------------------------------------------------------- writes


class PurchaseLineIn(In):
    product_id: Id
    quantity_milli: Quantity
    unit_cost_fen: StrictInt = Field(..., ge=0, le=MAX_UNIT_COST_FEN, description="Fen per unit.")


class PurchaseIn(In):
    store_id: Id
    supplier: str = Field(..., min_length=1, max_length=60, pattern=NAME_PATTERN)
    note: str = Field("", max_length=200, pattern=TEXT_PATTERN)
    lines: list[PurchaseLineIn] = Field(
        ..., min_length=1, max_length=MAX_LINES, description="One line per product."
    )


class PurchaseLineOut(Schema):
    product: ProductRef
    quantity_milli: int
    unit_cost_fen: int
    cost_fen: int


class PurchaseOut(Schema):
    id: int
    store: StoreRef
    supplier: str
    note: str
    total_cost_fen: int
    created_at: dt.datetime
    lines: list[PurchaseLineOut]


class AdjustmentIn(In):
    store_id: Id
    product_id: Id
    quantity_milli: SignedQuantity
    reason: str = Field(..., min_length=1, max_length=200, pattern=NAME_PATTERN)


class StocktakeIn(In):
    store_id: Id
    product_ids: list[Id] | SkipJsonSchema[None] = Field(
        None, max_length=MAX_LINES, description="Default: every tracked product."
    )
    note: str = Field("", max_length=200, pattern=TEXT_PATTERN)


class CountIn(In):
    product_id: Id
    counted_milli: QuantityOrZero | None = Field(..., description="null clears the count.")


class CountsIn(In):
    counts: list[CountIn] = Field(..., min_length=1, max_length=MAX_LINES)


class StocktakePostIn(In):
    """Nothing to send: the counted lines are posted as they stand (an empty object)."""


class StocktakeLineOut(Schema):
    product: ProductRef
    expected_milli: int = Field(..., description="On hand when the count began.")
    counted_milli: int | None
    variance_milli: int | None = Field(..., description="counted − expected, once posted.")


class StocktakeOut(Schema):
    id: int
    store: StoreRef
    status: str
    note: str
    created_at: dt.datetime
    posted_at: dt.datetime | None
    lines: list[StocktakeLineOut]


class TransferLineIn(In):
    product_id: Id
    quantity_milli: Quantity


class TransferIn(In):
    from_store_id: Id
    to_store_id: Id
    note: str = Field("", max_length=200, pattern=TEXT_PATTERN)
    lines: list[TransferLineIn] = Field(..., min_length=1, max_length=MAX_LINES)


class ReceivedIn(In):
    product_id: Id
    quantity_milli: QuantityOrZero


class ReceiveIn(In):
    received: list[ReceivedIn] = Field(
        default_factory=list,
        max_length=MAX_LINES,
        description="What arrived per product; a product left out arrived as sent.",
    )
    note: str = Field("", max_length=200, pattern=TEXT_PATTERN)


class TransferLineOut(Schema):
    product: ProductRef
    sent_milli: int
    received_milli: int | None
    difference_milli: int | None = Field(..., description="sent − received, once received.")


class TransferOut(Schema):
    id: int
    from_store: StoreRef
    to_store: StoreRef
    status: str = Field(..., description="in_transit or received.")
    note: str
    receive_note: str
    sent_at: dt.datetime
    received_at: dt.datetime | None
    lines: list[TransferLineOut]


class TransferQuery(In):
    store_id: QueryId | SkipJsonSchema[None] = None
    status: Literal["in_transit", "received"] | SkipJsonSchema[None] = None
    limit: QueryInt = Field(50, ge=1, le=100)
    offset: QueryInt = Field(0, ge=0, le=1_000_000)


class TransferPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[TransferOut]


class PolicyIn(In):
    below_zero: Policy | None = Field(
        ..., description="allow (with a warning) or refuse; null: a store follows the chain."
    )
    store_id: Id | SkipJsonSchema[None] = Field(None, description="Default: the chain's policy.")


class PolicyOut(Schema):
    chain: Policy
    stores: dict[str, Policy] = Field(..., description="Stores with their own policy, by id.")


class TrackedIn(In):
    tracked: StrictBool


class TrackedOut(Schema):
    product_id: int
    tracked: bool


class ReorderPointIn(In):
    reorder_point_milli: QuantityOrZero | None = Field(..., description="null: none.")
