"""Sale schemas: a quick consumption in integer fen and points; the receipt it prints."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from huiyuan.api.schemas.common import Id, In, Reason, StoreRef
from huiyuan.api.schemas.money import BalancesOut, Fen, FenOrZero, PointsOrZero, balances_out
from huiyuan.api.schemas.points import EarnStepsOut
from huiyuan.api.schemas.wallet import CardRef, ExternalMethod
from huiyuan.checkout.models import Sale


class QuickSaleIn(In):
    card_id: Id | None = Field(None, description="The member's card; left out: a walk-in sale.")
    amount_fen: Fen = Field(..., description="The bill before the tier discount, in fen.")
    category: str = Field("", max_length=40, description="Goods category, for earn rules.")
    balance_fen: FenOrZero = Field(0, description="To pay from stored value, in fen.")
    points: PointsOrZero = Field(0, description="Points to offset part of the bill.")
    external_method: ExternalMethod = Field(
        "", description="How the rest is paid (cash, wechat…); empty when nothing is left."
    )


class SaleReverseIn(In):
    reason: Reason


class SupplementIn(In):
    card_id: Id


class MemberRef(Schema):
    id: int
    code: str
    name: str


class ReceiptLine(Schema):
    kind: Literal["amount", "tier_discount", "points_offset", "principal", "bonus", "external"] = (
        Field(..., description="A printed line; discounts and payments are positive amounts.")
    )
    amount_fen: int
    points: int | None = None
    method: str | None = None


class EarnExplanationOut(EarnStepsOut):
    points: int
    rule: str | None = None
    rule_id: int | None = None
    supplemented: bool = False


class SaleOut(Schema):
    id: int
    number: str = Field(..., description="Receipt number (小票号).")
    status: Literal["completed", "reversed"]
    store: StoreRef
    card: CardRef | None
    member: MemberRef | None
    category: str
    tier_code: str
    amount_fen: int
    discount_fen: int
    payable_fen: int
    paid_principal_fen: int
    paid_bonus_fen: int
    points_used: int
    points_offset_fen: int
    paid_external_fen: int
    external_method: str
    lines: list[ReceiptLine]
    points_earned: int
    earn_explanation: EarnExplanationOut
    balances_after: BalancesOut | None = Field(
        ..., description="The card's balances right after the sale (null: no card)."
    )
    created_at: dt.datetime
    reversed_at: dt.datetime | None
    supplemented_at: dt.datetime | None


def receipt_lines(s: Sale) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = [{"kind": "amount", "amount_fen": s.amount_fen}]
    if s.discount_fen:
        lines.append({"kind": "tier_discount", "amount_fen": s.discount_fen})
    if s.points_used:
        lines.append(
            {"kind": "points_offset", "amount_fen": s.points_offset_fen, "points": s.points_used}
        )
    if s.paid_principal_fen:
        lines.append({"kind": "principal", "amount_fen": s.paid_principal_fen})
    if s.paid_bonus_fen:
        lines.append({"kind": "bonus", "amount_fen": s.paid_bonus_fen})
    if s.paid_external_fen:
        lines.append(
            {"kind": "external", "amount_fen": s.paid_external_fen, "method": s.external_method}
        )
    return lines


_COPIED = [n for n in SaleOut.model_fields if n not in ("lines", "balances_after")]


def sale_out(sale: Sale, balances_after: dict[str, int] | None) -> dict[str, Any]:
    """A receipt as ``SaleOut`` reads it: the sale's fields, printed lines, balances after."""
    return {
        **{name: getattr(sale, name) for name in _COPIED},
        "lines": receipt_lines(sale),
        "balances_after": balances_out(balances_after) if balances_after is not None else None,
    }
