"""What every money endpoint shares: integer fen and points, and the Idempotency-Key header.

Money leaves and arrives as integer fen (``*_fen``), points as integers: JSON floats, strings
and booleans are refused (``StrictInt``), and so are negative or absurd amounts.
"""

from __future__ import annotations

from typing import Annotated

from django.utils.translation import gettext_lazy as _
from ninja import Field, Header, Schema
from pydantic import StrictInt

from huiyuan.core.bounds import NON_BLANK_PATTERN
from huiyuan.core.errors import ValidationFailed

# ¥1,000,000 (10^8 fen) is far above any single payment a shop takes.
MAX_FEN = 100_000_000
MAX_POINTS = 1_000_000_000
MAX_KEY_LENGTH = 100

Fen = Annotated[
    StrictInt, Field(ge=1, le=MAX_FEN, description="Amount in fen (¥1 = 100).", examples=[10000])
]
FenOrZero = Annotated[
    StrictInt, Field(ge=0, le=MAX_FEN, description="Amount in fen.", examples=[2000])
]
PointsOrZero = Annotated[
    StrictInt, Field(ge=0, le=MAX_POINTS, description="Whole points.", examples=[100])
]

_KEY_RULES = (
    "1–100 characters chosen by the caller, not all spaces, unique per operation. Sending the "
    "same key with the same request again returns the first result; with a different "
    "request it is refused (`idempotency_key_reused`)."
)
# Required on every operation that moves money or points (`idempotency_key_required`).
IdempotencyKey = Header(
    ...,
    alias="Idempotency-Key",
    min_length=1,
    max_length=MAX_KEY_LENGTH,
    description=f"Required: {_KEY_RULES}",
    pattern=NON_BLANK_PATTERN,
)
# Optional where a retry is harmless without one (issuing a card).
OptionalIdempotencyKey = Header(
    None,
    alias="Idempotency-Key",
    max_length=MAX_KEY_LENGTH,
    description=f"Optional: {_KEY_RULES}",
)


def require_key(key: str | None) -> str:
    """The caller's Idempotency-Key, or a refusal in the error format."""
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            _("Send an Idempotency-Key header (1–100 characters)."),
            code="idempotency_key_required",
            field="Idempotency-Key",
        )
    return key


class BalancesOut(Schema):
    principal_fen: int = Field(..., description="Stored value paid in (本金).")
    bonus_fen: int = Field(..., description="Bonus stored value (赠送金).")
    points: int


def balances_out(balances: dict[str, int]) -> dict[str, int]:
    return {
        "principal_fen": balances.get("principal", 0),
        "bonus_fen": balances.get("bonus", 0),
        "points": balances.get("points", 0),
    }
