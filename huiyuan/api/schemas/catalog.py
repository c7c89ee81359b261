"""Catalog schemas: categories, products, prices in force, price changes, bundles.

Money is integer fen, quantities integer thousandths of the product's unit
(``quantity_milli``: 2 pieces = 2000, 12.345 L = 12345); ids, fen and quantities are JSON
integers (``true``, ``1.0`` and ``"5"`` are refused).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt, field_validator
from pydantic.json_schema import SkipJsonSchema

from huiyuan.api.schemas.common import BusinessDateTime, Id, In, QueryId, QueryInt
from huiyuan.catalog.models import CODE_PATTERN, MAX_PRICE_FEN, SKU_PATTERN, Product

# Text as the services take it: no control character (tab and new line included); a name
# also has one character that is not space. Engine-neutral escapes (JSON Schema, pydantic).
_CONTROL = r"\x00-\x1f\x7f"
_SPACE_OR_CONTROL = r"\x00-\x20\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
TEXT_PATTERN = rf"^[^{_CONTROL}]*$"
NAME_PATTERN = rf"^[^{_CONTROL}]*[^{_SPACE_OR_CONTROL}][^{_CONTROL}]*$"
BARCODE_PATTERN = r"^([0-9A-Za-z-]{4,32})?$"

Fen = Annotated[StrictInt, Field(ge=0, le=MAX_PRICE_FEN, description="Price in fen (¥1 = 100).")]
Unit = Literal[
    "piece", "item", "litre", "kg", "session", "cup", "bottle", "box", "pack", "set", "hour",
    "metre",
]  # fmt: skip
Kind = Literal["standard", "bundle"]
Status = Literal["active", "delisted"]
BARCODE_RULE = "4–32 letters, digits or '-'; a 13-digit EAN-13 must pass its check digit."

assert set(Unit.__args__) == set(Product.Unit.values)  # type: ignore[attr-defined]


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may be left out but not null")
    return value


# --------------------------------------------------------------------------- categories


class CategoryRef(Schema):
    id: int
    code: str
    name: str


class CategoryOut(Schema):
    id: int
    code: str = Field(..., description="Stable: tier rates and promotions name it.")
    name: str
    parent_id: int | None
    path: list[str] = Field(..., description="Codes from the most general to this one.")
    path_names: list[str]
    depth: int = Field(..., description="0 for a top-level category.")
    position: int = Field(..., description="Order among its siblings.")

    @staticmethod
    def resolve_path(category: Any) -> list[str]:
        return list(category.path_codes)


class CategoryCreateIn(In):
    code: str = Field(..., pattern=CODE_PATTERN, examples=["petrol"])
    name: str = Field(..., min_length=1, max_length=40, pattern=NAME_PATTERN, examples=["汽油"])
    parent_id: Id | None = Field(None, description="Empty for a top-level category.")
    position: StrictInt = Field(0, ge=0, le=32767)


class CategoryPatchIn(In):
    """Rename, move (``parent_id``; null: to the top level) or reorder. The code stays."""

    name: str | SkipJsonSchema[None] = Field(
        None, min_length=1, max_length=40, pattern=NAME_PATTERN
    )
    parent_id: Id | None = None
    position: StrictInt | SkipJsonSchema[None] = Field(None, ge=0, le=32767)

    @field_validator("name", "position", mode="before")
    @classmethod
    def _present_not_null(cls, value: Any) -> Any:
        return _not_null(value)


# ----------------------------------------------------------------------------- products


class PriceOut(Schema):
    product_id: int
    price_fen: int
    source: Literal["list", "chain", "store"] = Field(
        ...,
        description=(
            "`list`: the product's list price; `chain`: a chain-wide price change; `store`: "
            "the store's own price."
        ),
    )
    change_id: int | None = Field(None, description="The price change in force.")


class ProductOut(Schema):
    id: int
    sku: str
    barcode: str
    name: str
    spec: str
    category: CategoryRef | None
    category_path: list[str]
    kind: Kind
    unit: Unit
    divisible: bool = Field(..., description="May be sold in fractions of a unit.")
    list_price_fen: int = Field(..., description="The list price given at creation.")
    price: PriceOut = Field(..., description="The price in force now (at `store_id`).")
    store_id: int | None = Field(None, description="The store `price` is for; null: chain-wide.")
    no_points: bool
    no_discount: bool
    status: Status
    delisted_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ProductPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[ProductOut]


class ProductListQuery(In):
    q: str = Field("", max_length=60, description="Name, pinyin initials, SKU or barcode.")
    category_id: QueryId | SkipJsonSchema[None] = Field(
        None, description="This category and those under it."
    )
    status: Status | SkipJsonSchema[None] = None
    kind: Kind | SkipJsonSchema[None] = None
    store_id: QueryId | SkipJsonSchema[None] = Field(
        None, description="Prices at this store; default: the caller's store."
    )
    limit: QueryInt = Field(50, ge=1, le=100)
    offset: QueryInt = Field(0, ge=0, le=1_000_000)


class StoreQuery(In):
    store_id: QueryId | SkipJsonSchema[None] = Field(
        None, description="Prices at this store; default: the caller's store."
    )


class ProductCreateIn(In):
    sku: str = Field(..., pattern=SKU_PATTERN, examples=["FUEL-92"])
    name: str = Field(..., min_length=1, max_length=60, pattern=NAME_PATTERN, examples=["92#汽油"])
    list_price_fen: Fen
    category_id: Id | None = None
    barcode: str = Field("", pattern=BARCODE_PATTERN, description=f"Empty for none; {BARCODE_RULE}")
    spec: str = Field(
        "", max_length=40, pattern=TEXT_PATTERN, description="Specification, e.g. 550ml."
    )
    kind: Kind = "standard"
    unit: Unit = "piece"
    divisible: StrictBool | None = Field(
        None, description="Sold in fractions; default: true for litre, kg and metre."
    )
    no_points: StrictBool = False
    no_discount: StrictBool = False


class ProductPatchIn(In):
    """Only the fields sent change. A price changes with a price change, the kind never."""

    sku: str | SkipJsonSchema[None] = Field(None, pattern=SKU_PATTERN)
    name: str | SkipJsonSchema[None] = Field(
        None, min_length=1, max_length=60, pattern=NAME_PATTERN
    )
    barcode: str | SkipJsonSchema[None] = Field(
        None, pattern=BARCODE_PATTERN, description=f"Empty to remove; {BARCODE_RULE}"
    )
    spec: str | SkipJsonSchema[None] = Field(None, max_length=40, pattern=TEXT_PATTERN)
    category_id: Id | None = Field(None, description="null: no category.")
    unit: Unit | SkipJsonSchema[None] = None
    divisible: StrictBool | SkipJsonSchema[None] = None
    no_points: StrictBool | SkipJsonSchema[None] = None
    no_discount: StrictBool | SkipJsonSchema[None] = None

    @field_validator(
        "sku", "name", "barcode", "spec", "unit", "divisible", "no_points", "no_discount",
        mode="before",
    )  # fmt: skip
    @classmethod
    def _present_not_null(cls, value: Any) -> Any:
        return _not_null(value)


class CatalogReasonIn(In):
    reason: str = Field("", max_length=200, pattern=TEXT_PATTERN)


# ------------------------------------------------------------------------------- prices


class PriceChangeOut(Schema):
    id: int
    product_id: int
    store_id: int | None = Field(None, description="null: chain-wide.")
    price_fen: int | None = Field(
        None, description="null: from then on the store follows the chain-wide price."
    )
    effective_from: dt.datetime
    note: str
    created_at: dt.datetime
    cancelled_at: dt.datetime | None


class PriceChangeIn(In):
    price_fen: Fen
    effective_from: BusinessDateTime | None = Field(
        None, description="Now or later (a moment in the past is refused); default: now."
    )
    store_id: Id | None = Field(None, description="A store's own price; null: chain-wide.")
    note: str = Field("", max_length=100, pattern=TEXT_PATTERN)


class StorePriceIn(In):
    price_fen: Fen
    effective_from: BusinessDateTime | None = Field(
        None, description="Now or later (a moment in the past is refused); default: now."
    )
    note: str = Field("", max_length=100, pattern=TEXT_PATTERN)


class StorePriceOut(Schema):
    store_id: int
    store_code: str
    store_name: str
    price: PriceOut


class ProductPricesOut(Schema):
    chain: PriceOut = Field(..., description="The chain-wide price in force now.")
    stores: list[StorePriceOut] = Field(..., description="The price in force now at each store.")
    changes: list[PriceChangeOut] = Field(..., description="Latest start first.")


class PricesQuery(In):
    product_id: list[QueryId] = Field(..., min_length=1, max_length=200)
    store_id: QueryId | SkipJsonSchema[None] = Field(
        None, description="Default: the caller's store."
    )
    at: BusinessDateTime | SkipJsonSchema[None] = Field(None, description="Default: now.")


# ------------------------------------------------------------------------------ bundles


class BundleItemOut(Schema):
    product_id: int
    sku: str
    name: str
    quantity_milli: int

    @staticmethod
    def resolve_product_id(item: Any) -> int:
        return int(item.item_id)

    @staticmethod
    def resolve_sku(item: Any) -> str:
        return str(item.item.sku)

    @staticmethod
    def resolve_name(item: Any) -> str:
        return str(item.item.name)


class BundleItemIn(In):
    product_id: Id
    quantity_milli: StrictInt = Field(
        ..., ge=1, le=1_000_000, description="Per bundle, in thousandths (1 piece = 1000)."
    )


class BundleItemsIn(In):
    items: list[BundleItemIn] = Field(..., min_length=1, max_length=20)
