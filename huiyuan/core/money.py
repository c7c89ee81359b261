"""Money is integer fen. These helpers convert at the edges and nowhere else."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import ValidationFailed


def fen_to_yuan_str(fen: int) -> str:
    """Format fen as ``¥12.30`` (negative as ``-¥12.30``)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def yuan_to_fen(value: str | int | Decimal) -> int:
    """Parse a yuan amount typed by a person (``"12.3"``) into fen, refusing sub-fen digits."""
    try:
        amount = Decimal(str(value).strip().replace(",", "").lstrip("¥"))
    except InvalidOperation as exc:
        raise ValidationFailed(_("Invalid amount."), code="invalid_amount") from exc
    if not amount.is_finite():
        raise ValidationFailed(_("Invalid amount."), code="invalid_amount")
    fen = amount * 100
    if fen != fen.quantize(Decimal(1), rounding=ROUND_HALF_UP):
        raise ValidationFailed(
            _("An amount has at most two decimal places."), code="invalid_amount"
        )
    return int(fen)
