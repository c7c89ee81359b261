"""Small builders for engine inputs: defaults a test does not care about, overridden by name."""

from __future__ import annotations

import datetime as dt
from typing import Any

from huiyuan.pricing import (
    Basket,
    Line,
    MemberSnapshot,
    PricingContext,
    Promotion,
    PromotionKind,
    TierTerms,
)

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
WEDNESDAY = dt.datetime(2026, 3, 4, 10, 30, tzinfo=SHANGHAI)  # 2026-03-04 is a Wednesday
THURSDAY = WEDNESDAY + dt.timedelta(days=1)


def line(line_id: int = 1, **extra: Any) -> Line:
    values: dict[str, Any] = {
        "line_id": line_id,
        "product_id": 100 + line_id,
        "sku": f"SKU{line_id}",
        "unit_price_fen": 1000,
        "category_path": ("shop",),
        "name": f"商品{line_id}",
    }
    values.update(extra)
    if "amount_fen" not in values:
        values.setdefault("quantity_milli", 1000)
    return Line(**values)


def fuel(line_id: int = 1, *, amount_fen: int, price_fen: int = 789, **extra: Any) -> Line:
    """An amount-only line of 92# petrol."""
    values: dict[str, Any] = {
        "product_id": 92,
        "sku": "92#",
        "name": "92#汽油",
        "unit": "升",
        "category_path": ("fuel", "petrol"),
        "category_names": ("油品", "汽油"),
        "divisible": True,
        "amount_fen": amount_fen,
        "unit_price_fen": price_fen,
    }
    values.update(extra)
    return line(line_id, **values)


def basket(*lines: Line) -> Basket:
    return Basket(lines=tuple(lines))


def context(at: dt.datetime = WEDNESDAY, **extra: Any) -> PricingContext:
    return PricingContext(store_id=extra.pop("store_id", 1), local_at=at, **extra)


def tier(paid_permille: int = 1000, **extra: Any) -> TierTerms:
    values: dict[str, Any] = {"code": "gold", "name": "金卡", "id": 3, "version": 1}
    values.update(extra)
    return TierTerms(paid_permille=paid_permille, **values)


def member(**extra: Any) -> MemberSnapshot:
    values: dict[str, Any] = {"member_id": 7}
    values.update(extra)
    return MemberSnapshot(**values)


def promotion(kind: PromotionKind, value: int, **extra: Any) -> Promotion:
    values: dict[str, Any] = {
        "id": 1,
        "version": 1,
        "code": "P1",
        "name": "促销",
        "kind": kind,
        "value": value,
    }
    values.update(extra)
    return Promotion(**values)
