"""What a sale is asked to do, as the services take it, and the checks made before any
lock is taken (types, bounds, shapes); everything else is decided under the lock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from huiyuan.checkout.services.common import (
    MAX_SALE_FEN,
)
from huiyuan.checkout.services.joining import EnrolRequest
from huiyuan.core.errors import ValidationFailed
from huiyuan.wallet.models import PaymentMethod

MAX_LINES = 200
MAX_QUANTITY_MILLI = 1_000_000_000  # a million units
MAX_PAYMENTS = 5
QUICK_PRODUCT_ID = 0  # the engine's product id of a quick (amount-only) line
MIXED = "mixed"  # ``Sale.external_method`` when several external methods paid


@dataclass(frozen=True)
class SaleLineInput:
    """A product by id or by the code a scanner read, and a quantity in thousandths of its
    unit or an amount (fuel grade + ¥200). ``quoted_unit_price_fen``: the unit price the
    quote showed; if the price changed since, the sale says so."""

    product_id: int | None = None
    code: str = ""
    quantity_milli: int | None = None
    amount_fen: int | None = None
    quoted_unit_price_fen: int | None = None


@dataclass(frozen=True)
class ExternalPayment:
    method: str  # cash, bank_card, wechat, alipay…
    amount_fen: int


@dataclass(frozen=True)
class BasketSaleInput:
    lines: tuple[SaleLineInput, ...]
    card_id: int | None = None
    points: int = 0  # to offset
    balance_fen: int = 0  # from stored value (principal and bonus)
    payments: tuple[ExternalPayment, ...] = ()  # must cover the external part exactly
    associate_id: int | None = None  # the sales associate (导购) credited with the sale
    enrol: EnrolRequest | None = None  # a walk-in customer's mobile: join (M2) by policy
    coupon_codes: tuple[str, ...] = ()  # coupons chosen (scanned or typed), see coupon_seam
    offline_at: dt.datetime | None = None  # made on a POS while offline (ledger.offline)
    pin: str = ""  # the member's payment PIN, when paying from the balance asks for it (W2)


@dataclass(frozen=True)
class QuickSaleInput:
    amount_fen: int
    card_id: int | None = None
    category: str = ""
    balance_fen: int = 0  # to pay from stored value (principal and bonus)
    points: int = 0  # to offset
    external_method: str = ""  # for whatever is left
    associate_id: int | None = None  # the sales associate (导购) credited with the sale
    pin: str = ""  # the member's payment PIN, when paying from the balance asks for it (W2)


# ------------------------------------------------------------------------- input checks


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_payment_request(card_id: int | None, balance_fen: int, points: int) -> None:
    if not (is_int(balance_fen) and is_int(points)) or balance_fen < 0 or points < 0:
        raise ValidationFailed(_("Amounts cannot be negative."), code="invalid_amount")
    if balance_fen > MAX_SALE_FEN or points > MAX_SALE_FEN * 100:
        raise ValidationFailed(_("Enter an amount above zero."), code="invalid_amount")
    if (balance_fen or points) and card_id is None:
        raise ValidationFailed(_("Paying by balance or points needs a card."), code="card_required")


def check_method(method: str, field: str = "external_method") -> None:
    if method not in PaymentMethod.values:
        raise ValidationFailed(_("Unknown payment method."), code="invalid_method", field=field)


def check_lines(lines: Sequence[SaleLineInput]) -> None:
    if not lines:
        raise ValidationFailed(_("Add at least one line."), code="lines_required", field="lines")
    if len(lines) > MAX_LINES:
        raise ValidationFailed(
            _("A sale holds at most %(n)s lines.") % {"n": MAX_LINES},
            code="too_many_lines",
            field="lines",
        )
    for position, line in enumerate(lines, start=1):
        details = {"line_id": position}
        if (line.product_id is None) == (not (line.code or "").strip()):
            raise ValidationFailed(
                _("Give each line a product or a scanned code."),
                code="invalid_line",
                details=details,
            )
        if (line.quantity_milli is None) == (line.amount_fen is None):
            raise ValidationFailed(
                _("Give each line a quantity or an amount, not both."),
                code="invalid_line",
                details=details,
            )
        if line.quantity_milli is not None and (
            not is_int(line.quantity_milli) or not 0 < line.quantity_milli <= MAX_QUANTITY_MILLI
        ):
            raise ValidationFailed(
                _("Enter a quantity above zero."), code="invalid_quantity", details=details
            )
        if line.amount_fen is not None and (
            not is_int(line.amount_fen) or not 0 < line.amount_fen <= MAX_SALE_FEN
        ):
            raise ValidationFailed(
                _("Enter an amount above zero."), code="invalid_amount", details=details
            )


def check_payments(payments: Sequence[ExternalPayment]) -> None:
    if len(payments) > MAX_PAYMENTS:
        raise ValidationFailed(
            _("At most %(n)s external payments.") % {"n": MAX_PAYMENTS}, code="too_many_payments"
        )
    for payment in payments:
        check_method(payment.method, field="payments")
        if not is_int(payment.amount_fen) or not 0 < payment.amount_fen <= MAX_SALE_FEN:
            raise ValidationFailed(
                _("Enter an amount above zero."), code="invalid_amount", field="payments"
            )
