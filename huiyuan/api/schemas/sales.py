"""Sale schemas: a quick consumption in integer fen and points; the receipt it prints."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StrictInt, StringConstraints

from huiyuan.api.schemas.common import Date, Id, In, QueryId, QueryInt, Reason, StoreRef
from huiyuan.api.schemas.money import BalancesOut, Fen, FenOrZero, PointsOrZero, balances_out
from huiyuan.api.schemas.points import EarnStepsOut
from huiyuan.api.schemas.wallet import CardRef, ExternalMethod, ManagerIn
from huiyuan.checkout.models import Sale, SaleLine, SaleReturn
from huiyuan.checkout.selectors import render_reason, sale_status


class QuickSaleIn(In):
    card_id: Id | None = Field(None, description="The member's card; left out: a walk-in sale.")
    amount_fen: Fen = Field(..., description="The bill before the tier discount, in fen.")
    category: str = Field("", max_length=40, description="Goods category, for earn rules.")
    balance_fen: FenOrZero = Field(0, description="To pay from stored value, in fen.")
    points: PointsOrZero = Field(0, description="Points to offset part of the bill.")
    external_method: ExternalMethod = Field(
        "", description="How the rest is paid (cash, wechat…); empty when nothing is left."
    )
    associate_id: Id | None = Field(
        None, description="The sales associate (导购) credited with the sale, for commission."
    )
    pin: str = Field(
        "",
        max_length=6,
        description=(
            "The member's six-digit payment PIN, when paying from stored value asks for it "
            "(`pin_required`, `pin_wrong`, `pin_locked`; docs/payments.md). Never stored."
        ),
    )


class SaleReverseIn(In):
    reason: Reason
    authorised_by: ManagerIn | None = Field(
        None,
        description=(
            "A manager's username and password, for a caller without `sale.reverse` "
            "(a cashier): checked before anything is written (`authorisation_failed`, "
            "`authoriser_not_allowed`), and named in the audit with the caller. Left out, "
            "the caller needs `sale.reverse` (`permission_denied`)."
        ),
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reason": "顾客要求撤销",
                    "authorised_by": {"username": "manager01", "password": "Correct-Horse-9"},
                }
            ]
        },
    )


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
    status: Literal["completed", "reversed", "returned"] = Field(
        ..., description="returned: every line came back; see `returns` for partial ones."
    )
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
    payments: list[PaymentOut] = Field(..., description="The external payments, by method.")
    items: list[SaleItemOut] = Field(..., description="What was sold, line by line.")
    notes: list[str] = Field(..., description="The pricing engine's reasons for the basket.")
    returns: list[SaleReturnOut]
    returned_payable_fen: int = Field(..., description="What returns gave back so far.")
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


_COMPUTED = ("lines", "balances_after", "items", "returns", "notes", "payments")
_COPIED = [n for n in SaleOut.model_fields if n not in _COMPUTED]


def sale_out(sale: Sale, balances_after: dict[str, int] | None) -> dict[str, Any]:
    """A receipt as ``SaleOut`` reads it: the sale's fields, printed lines, what was sold,
    the returns, balances after. ``sale`` comes from ``selectors.sale_detail``."""
    return {
        **{name: getattr(sale, name) for name in _COPIED},
        "lines": receipt_lines(sale),
        "payments": list(sale.payments or ()),
        "items": [sale_item_out(line) for line in getattr(sale, "line_rows", ())],
        "notes": [render_reason(n) for n in sale.notes or ()],
        "returns": [sale_return_out(r) for r in getattr(sale, "return_rows", ())],
        "balances_after": balances_out(balances_after) if balances_after is not None else None,
    }


# --------------------------------------------------------------------- basket sales

PaymentMethodCode = Literal[
    "cash", "bank_card", "wechat", "alipay", "terminal", "online", "enterprise"
]
QuantityMilli = Annotated[
    StrictInt,
    Field(
        ge=-1_000_000_000,
        le=1_000_000_000,
        description=(
            "Thousandths of the product's unit: 2 pieces = 2000, 12.345 L = 12345. Above "
            "zero; a whole number of units unless the product is sold by measure "
            "(`invalid_quantity`, `fractional_quantity`)."
        ),
    ),
]


class SaleLineIn(In):
    product_id: Id | None = Field(None, description="The product; or give `code`.")
    code: str = Field(
        "", max_length=40, description="A scanned barcode or SKU; or give `product_id`."
    )
    quantity_milli: QuantityMilli | None = None
    amount_fen: Fen | None = Field(
        None, description="An amount-only line (fuel grade + ¥200): instead of a quantity."
    )
    quoted_unit_price_fen: FenOrZero | None = Field(
        None,
        description=(
            "The unit price the quote showed. The sale always uses the price in force at "
            "completion; when it differs, the line carries a `price.changed` note."
        ),
    )


class PaymentIn(In):
    method: PaymentMethodCode
    amount_fen: Fen


class EnrolIn(In):
    mobile: str = Field(..., min_length=1, max_length=20, description="The customer's mobile.")
    name: str = Field("", max_length=50, description="The customer's name, if given.")
    explicit: bool = Field(
        False,
        description=(
            "Enrol the customer now whatever the joining policy (登记为会员); otherwise the "
            "policy decides (first purchase, pay-to-join, spend threshold)."
        ),
    )


class BasketQuoteIn(In):
    lines: list[SaleLineIn] = Field(..., min_length=1, max_length=200)
    card_id: Id | None = Field(None, description="The member's card; left out: a walk-in sale.")
    points: PointsOrZero = Field(0, description="Points to offset part of the bill.")
    balance_fen: FenOrZero = Field(0, description="To pay from stored value, in fen.")
    enrol: EnrolIn | None = Field(
        None,
        description=(
            "A walk-in customer's mobile: the sale registers them (or finds them) and goes on "
            "their card when the joining policy or `explicit` says so; a new member pays the "
            "joining fee as a line. Not with `card_id`."
        ),
    )
    coupon_codes: list[Annotated[str, StringConstraints(max_length=40)]] = Field(
        [],
        max_length=5,
        description=(
            "Coupons chosen (scanned or typed), applied after promotions and the tier rate; "
            "the quote lists the member's coupons and proposes the best allowed combination."
        ),
    )


class BasketSaleIn(BasketQuoteIn):
    payments: list[PaymentIn] = Field(
        [],
        max_length=5,
        description=(
            "Cash, bank card, WeChat, Alipay…: together exactly what is left after points and "
            "stored value (`external_method_required` when short, `payments_exceed_due` when over)."
        ),
    )
    associate_id: Id | None = Field(
        None, description="The sales associate (导购) credited with the sale, for commission."
    )
    pin: str = Field(
        "",
        max_length=6,
        description=(
            "The member's six-digit payment PIN, when paying from stored value asks for it "
            "(`pin_required`, `pin_wrong`, `pin_locked`; docs/payments.md). Never stored."
        ),
    )


class AdjustmentOut(Schema):
    rule_kind: str = Field(..., description="promotion or tier")
    rule_id: int | None
    rule_version: int
    rule_code: str
    amount_fen: int
    reason: str


class ComponentOut(Schema):
    product_id: int
    sku: str
    name: str
    quantity_milli: int
    list_fen: int
    payable_fen: int


class PricedLineOut(Schema):
    product_id: int | None
    sku: str
    name: str
    category_path: list[str]
    unit: str
    unit_price_fen: int
    quantity_milli: int
    list_fen: int
    discount_fen: int
    payable_fen: int
    points_offset_fen: int
    points_used: int
    principal_fen: int
    bonus_fen: int
    external_fen: int
    adjustments: list[AdjustmentOut]
    components: list[ComponentOut]
    notes: list[str] = Field(..., description="The engine's reasons, in the reader's language.")


class SaleItemOut(PricedLineOut):
    id: int
    position: int
    points_earned: int
    returned_milli: int


class PaymentOut(Schema):
    method: str
    amount_fen: int


class ReturnLineOut(Schema):
    sale_line_id: int
    quantity_milli: int
    list_fen: int
    discount_fen: int
    points_offset_fen: int
    points_used: int
    principal_fen: int
    bonus_fen: int
    external_fen: int
    points_earned: int


class SaleReturnOut(Schema):
    id: int
    number: str = Field(..., description="Return receipt number.")
    sale_id: int
    reason: str
    authorised_by: str | None = Field(..., description="The manager who authorised it.")
    list_fen: int
    discount_fen: int
    payable_fen: int
    points_offset_fen: int
    points_returned: int = Field(..., description="Points that paid, given back.")
    principal_fen: int = Field(..., description="Back to the card's stored value.")
    bonus_fen: int = Field(..., description="Back to the bonus lots it came from.")
    external_fen: int = Field(..., description="To hand back over the counter.")
    refund_payments: list[PaymentOut] = Field(..., description="How to hand it back.")
    points_earned: int
    points_taken_back: int
    points_unrecovered: int = Field(..., description="Earned points already spent.")
    deduction_fen: int = Field(..., description="Their value, kept from the refund.")
    lines: list[ReturnLineOut]
    created_at: dt.datetime


class QuoteCouponOut(Schema):
    code: str
    name: str
    kind: str
    valid_to: dt.date | None
    stack_group: str = Field(..., description="Empty: used alone.")
    applies: bool
    why_not: str = Field(..., description="Why it does not apply to this basket, in words.")
    chosen: bool


class QuoteOut(Schema):
    tier_code: str
    list_fen: int
    discount_fen: int
    payable_fen: int
    points_used: int
    points_offset_fen: int
    principal_fen: int
    bonus_fen: int
    external_fen: int = Field(..., description="What the external payments must cover.")
    points_max: int = Field(..., description="The most points this basket can take.")
    points_available: int
    balance_available_fen: int
    lines: list[PricedLineOut]
    notes: list[str]
    joining: str = Field(
        "",
        description=(
            "What the sale will do with `enrol`: empty (nothing), `new` (registers the customer, "
            "fee line included), `existing` (the mobile's member card), `new_card`."
        ),
    )
    coupons: list[QuoteCouponOut] = Field(
        [], description="The member's coupons (and those chosen), with whether each applies."
    )
    coupon_proposal: list[str] = Field(
        [], description="The best allowed combination of coupons for this basket (codes)."
    )
    coupon_proposal_fen: int = Field(0, description="What the proposed coupons take off.")


class ReturnLineIn(In):
    sale_line_id: Id
    quantity_milli: QuantityMilli


class SaleReturnIn(In):
    lines: list[ReturnLineIn] = Field(..., min_length=1, max_length=200)
    reason: Reason
    authorised_by: ManagerIn | None = Field(
        None,
        description=(
            "A manager's username and password, for a caller without `sale.reverse` "
            "(a cashier); checked, and recorded in the audit."
        ),
    )


class SaleSummaryOut(Schema):
    id: int
    number: str
    status: Literal["completed", "partly_returned", "returned", "reversed"]
    store: StoreRef
    cashier: str | None
    member_code: str | None
    amount_fen: int
    discount_fen: int
    payable_fen: int
    paid_external_fen: int
    returned_payable_fen: int
    points_earned: int
    created_at: dt.datetime


class SalePageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[SaleSummaryOut]


class SaleListQuery(In):
    store_id: QueryId | None = None
    cashier_id: QueryId | None = Field(None, description="The staff member who sold.")
    member_id: QueryId | None = None
    date_from: Date | None = Field(None, description="Local business date, included.")
    date_to: Date | None = Field(None, description="Local business date, included.")
    number: str = Field("", max_length=34, description="Receipt number (小票号) or part of it.")
    status: Literal["completed", "partly_returned", "returned", "reversed"] | None = None
    limit: QueryInt = Field(20, ge=1, le=100)
    offset: QueryInt = Field(0, ge=0, le=1_000_000)


def _adjustments(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "rule_kind": a["rule"]["kind"],
            "rule_id": a["rule"]["id"],
            "rule_version": a["rule"]["version"],
            "rule_code": a["rule"]["code"],
            "amount_fen": a["amount_fen"],
            "reason": render_reason(a["reason"]),
        }
        for a in rows
    ]


def priced_line_out(line: Any) -> dict[str, Any]:
    """A quoted line (the engine's ``PricedLine``) as ``PricedLineOut`` reads it."""
    return {
        "product_id": line.product_id or None,
        "sku": line.sku,
        "name": line.name,
        "category_path": list(line.category_path),
        "unit": line.unit,
        "unit_price_fen": line.unit_price_fen,
        "quantity_milli": line.quantity_milli,
        "list_fen": line.list_fen,
        "discount_fen": line.discount_fen,
        "payable_fen": line.payable_fen,
        "points_offset_fen": line.points_offset_fen,
        "points_used": line.points_used,
        "principal_fen": line.principal_fen,
        "bonus_fen": line.bonus_fen,
        "external_fen": line.external_fen,
        "adjustments": [
            {
                "rule_kind": a.rule.kind,
                "rule_id": a.rule.id,
                "rule_version": a.rule.version,
                "rule_code": a.rule.code,
                "amount_fen": a.amount_fen,
                "reason": render_reason({"code": a.reason.code, "params": a.reason.params}),
            }
            for a in line.adjustments
        ],
        "components": [
            {
                "product_id": c.product_id,
                "sku": c.sku,
                "name": c.name,
                "quantity_milli": c.quantity_milli,
                "list_fen": c.list_fen,
                "payable_fen": c.payable_fen,
            }
            for c in line.components
        ],
        "notes": [render_reason({"code": n.code, "params": n.params}) for n in line.notes],
    }


def sale_item_out(line: SaleLine) -> dict[str, Any]:
    return {
        "id": line.pk,
        "position": line.position,
        "product_id": line.product_id,
        "sku": line.sku,
        "name": line.name,
        "category_path": list(line.category_path or ()),
        "unit": line.unit,
        "unit_price_fen": line.unit_price_fen,
        "quantity_milli": line.quantity_milli,
        "returned_milli": line.returned_milli,
        "list_fen": line.list_fen,
        "discount_fen": line.discount_fen,
        "payable_fen": line.payable_fen,
        "points_offset_fen": line.points_offset_fen,
        "points_used": line.points_used,
        "principal_fen": line.principal_fen,
        "bonus_fen": line.bonus_fen,
        "external_fen": line.external_fen,
        "points_earned": line.points_earned,
        "adjustments": _adjustments(line.adjustments or []),
        "components": [
            {
                k: c[k]
                for k in ("product_id", "sku", "name", "quantity_milli", "list_fen", "payable_fen")
            }
            for c in line.components or ()
        ],
        "notes": [render_reason(n) for n in line.notes or ()],
    }


_RETURN_COPIED = [
    n for n in SaleReturnOut.model_fields if n not in ("authorised_by", "lines", "refund_payments")
]


def sale_return_out(row: SaleReturn) -> dict[str, Any]:
    return {
        **{name: getattr(row, name) for name in _RETURN_COPIED},
        "authorised_by": row.authorised_by.username if row.authorised_by else None,
        "refund_payments": list(row.refund_payments or ()),
        "lines": [
            {
                "sale_line_id": line.sale_line_id,
                **{
                    name: getattr(line, name)
                    for name in ReturnLineOut.model_fields
                    if name != "sale_line_id"
                },
            }
            for line in row.lines.all()
        ],
    }


def quote_out(quote: Any) -> dict[str, Any]:
    priced = quote.priced
    return {
        "tier_code": quote.tier_code,
        "list_fen": priced.list_fen,
        "discount_fen": priced.discount_fen,
        "payable_fen": priced.payable_fen,
        "points_used": priced.points_used,
        "points_offset_fen": priced.points_offset_fen,
        "principal_fen": priced.principal_fen,
        "bonus_fen": priced.bonus_fen,
        "external_fen": priced.external_fen,
        "points_max": priced.points_max,
        "points_available": quote.points_available,
        "balance_available_fen": quote.balance_available_fen,
        "lines": [
            {
                **priced_line_out(line),
                "notes": [
                    *(render_reason({"code": n.code, "params": n.params}) for n in line.notes),
                    *(render_reason(n) for n in quote.price_changes.get(line.line_id, ())),
                ],
            }
            for line in priced.lines
        ],
        "notes": [
            *(render_reason({"code": n.code, "params": n.params}) for n in priced.notes),
            *(str(n.message) for n in quote.participant_notes),
        ],
        "joining": quote.joining,
        **coupons_out(quote.coupons),
    }


def coupons_out(coupons: Any) -> dict[str, Any]:
    """The quote's coupon part (``checkout.services.coupon_seam.CouponQuote``)."""
    if coupons is None:
        return {"coupons": [], "coupon_proposal": [], "coupon_proposal_fen": 0}
    from huiyuan.pricing.reasons import COUPON_WHY_ZH

    return {
        "coupons": [
            {
                "code": held.terms.code,
                "name": held.terms.name,
                "kind": str(held.terms.kind),
                "valid_to": held.terms.valid_to,
                "stack_group": held.terms.group,
                "applies": held.why_not is None,
                "why_not": COUPON_WHY_ZH.get(held.why_not or "", held.why_not or ""),
                "chosen": held.terms.code in coupons.chosen,
            }
            for held in coupons.held
        ],
        "coupon_proposal": list(coupons.proposal),
        "coupon_proposal_fen": coupons.proposal_fen,
    }


def sale_summary_out(sale: Sale) -> dict[str, Any]:
    return {
        "id": sale.pk,
        "number": sale.number,
        "status": sale_status(sale),
        "store": sale.store,
        "cashier": sale.operator.display_name if sale.operator else None,
        "member_code": sale.member.code if sale.member else None,
        "amount_fen": sale.amount_fen,
        "discount_fen": sale.discount_fen,
        "payable_fen": sale.payable_fen,
        "paid_external_fen": sale.paid_external_fen,
        "returned_payable_fen": sale.returned_payable_fen,
        "points_earned": sale.points_earned,
        "created_at": sale.created_at,
    }


SaleOut.model_rebuild()
