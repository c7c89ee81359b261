"""What the catalog's services share: input cleaning that refuses with a stable code."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from django.utils.translation import gettext_lazy as _

from huiyuan.catalog.models import MAX_PRICE_FEN
from huiyuan.core.errors import ValidationFailed
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor
from huiyuan.ledger.commands import command_run

T = TypeVar("T")

# Refused anywhere in a name or a note (tabs and new lines included): see the API schemas'
# patterns, which say the same.
CONTROL_CHARACTER = r"[\x00-\x1f\x7f]"


class Unset:
    """A keyword not given (``None`` means "none", e.g. a top-level category)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = Unset()


def clean_text(
    value: object, *, field: str, max_length: int, required: bool = True, label: str = ""
) -> str:
    """Trimmed text without control characters; refuse blank (when required) or too long."""
    if not isinstance(value, str) and value is not None:
        raise ValidationFailed(_("Enter text."), code="invalid_text", field=field)
    raw = value or ""
    text = raw.strip()
    if re.search(CONTROL_CHARACTER, raw):
        raise ValidationFailed(
            _("Text cannot contain control characters."), code="invalid_text", field=field
        )
    if required and not text:
        raise ValidationFailed(
            _("Enter a name.") if field == "name" else _("Fill in this field."),
            code=f"{field}_required",
            field=field,
        )
    if len(text) > max_length:
        raise ValidationFailed(
            _("At most %(max)s characters.") % {"max": max_length},
            code="text_too_long",
            field=field,
        )
    return text


def clean_price(value: object, *, field: str = "price_fen") -> int:
    """A price in whole fen, 0 to ¥1,000,000: never a float, a string or a boolean."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(
            _("A price is a whole number of fen."), code="invalid_price", field=field
        )
    if value < 0:
        raise ValidationFailed(_("A price cannot be negative."), code="invalid_price", field=field)
    if value > MAX_PRICE_FEN:
        raise ValidationFailed(
            _("A price is at most %(max)s.") % {"max": fen_to_yuan_str(MAX_PRICE_FEN)},
            code="invalid_price",
            field=field,
        )
    return value


def clean_flag(value: object, *, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed(_("Choose yes or no."), code="invalid_flag", field=field)
    return value


def run_once(
    *,
    actor: Actor,
    key: str,
    kind: str,
    payload: dict[str, Any],
    perform: Callable[[], T],
    load: Callable[[int], T],
) -> T:
    """``perform`` once per idempotency key (a retried create returns the first result);
    without a key, just ``perform``."""
    if not key:
        return perform()
    return command_run(  # type: ignore[type-var]
        actor=actor, key=key, kind=kind, payload=payload, perform=perform, load=load
    )
