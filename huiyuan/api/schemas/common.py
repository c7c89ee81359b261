"""Schemas every domain shares: the error body, references, input hygiene, strict types.

Input is strict, and the OpenAPI document says exactly what is accepted:

- ids and counts are JSON integers (``StrictInt``): ``true``, ``1.0`` and ``"1"`` are refused;
  in a query string an integer is written in digits and nothing else (``QueryInt``);
- booleans are JSON booleans (``StrictBool``); in a query string ``true`` or ``false``;
- dates are ``YYYY-MM-DD`` text, date-times RFC 3339 text with an offset; a business date or
  moment lies in the years ``BUSINESS_YEARS`` (a JSON number is not a date);
- text holds no NUL character and no lone surrogate.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from huiyuan.core.bounds import BUSINESS_YEARS, NON_BLANK_PATTERN, VISIBLE_TEXT_PATTERN

# The largest primary key the databases hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID, examples=[1])]

# ------------------------------------------------------------------------- query strings

_DIGITS = re.compile(r"[0-9]{1,19}")


def _query_int(value: Any) -> Any:
    """A query-string integer: ASCII digits only (no sign, point, space or ``true``)."""
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise PydanticCustomError("int_digits", "must be a whole number written in digits")


def _query_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise PydanticCustomError("bool_word", "must be true or false")


QueryInt = Annotated[int, BeforeValidator(_query_int)]
# The bounds before the validator, or pydantic leaves them out of the JSON schema.
QueryId = Annotated[int, Field(ge=1, le=MAX_ID, examples=[1]), BeforeValidator(_query_int)]
QueryBool = Annotated[bool, BeforeValidator(_query_bool)]

# ---------------------------------------------------------------------- dates and moments

_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# RFC 3339 as the parser reads it: seconds 00–59 (no leap second), an offset under 24 h.
_TIME_AND_OFFSET = (
    r"-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
)
_DATETIME_TEXT = re.compile(r"[0-9]{4}" + _TIME_AND_OFFSET)
_FIRST, _LAST = BUSINESS_YEARS
# The years BUSINESS_YEARS (2000–2100) as the start of a pattern.
_BUSINESS_YEAR_RE = r"(20[0-9]{2}|2100)"


def date_text(value: Any) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _DATE_TEXT.fullmatch(value):
        return value
    raise PydanticCustomError("date_text", "must be a date written YYYY-MM-DD")


def _datetime_text(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, str) and _DATETIME_TEXT.fullmatch(value):
        return value
    raise PydanticCustomError(
        "datetime_text", "must be a date-time with an offset, e.g. 2026-05-01T09:30:00+08:00"
    )


def _business_date(value: dt.date) -> dt.date:
    if not _FIRST <= value.year <= _LAST:
        raise PydanticCustomError(
            "date_out_of_range",
            "must lie in the years {first}–{last}",
            {"first": _FIRST, "last": _LAST},
        )
    return value


def _business_moment(value: dt.datetime) -> dt.datetime:
    _business_date(value.date())
    return value


Date = Annotated[
    dt.date,
    BeforeValidator(date_text),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-05-01"]}),
]
BusinessDate = Annotated[
    dt.date,
    BeforeValidator(date_text),
    AfterValidator(_business_date),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": f"^{_BUSINESS_YEAR_RE}-",
            "description": f"A date in the years {_FIRST}–{_LAST}.",
            "examples": ["2026-05-01"],
        }
    ),
]
BusinessDateTime = Annotated[
    dt.datetime,
    BeforeValidator(_datetime_text),
    AfterValidator(_business_moment),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": f"^{_BUSINESS_YEAR_RE}{_TIME_AND_OFFSET}$",
            "description": f"RFC 3339 with an offset, in the years {_FIRST}–{_LAST}.",
            "examples": ["2026-05-01T09:30:00+08:00"],
        }
    ),
]

# -------------------------------------------------------------------------------- text


def documented(**keywords: Any) -> Any:
    """A rule the service enforces with its own error code, stated in the OpenAPI document.

    The schema layer would refuse with a generic ``invalid_request``; the service says
    ``name_required`` or ``reason_required``, which a caller can act on.
    """
    return Field(json_schema_extra=keywords)


# A member's name: the service refuses one that shows nothing (``name_required``).
VisibleText = Annotated[str, documented(pattern=VISIBLE_TEXT_PATTERN)]
# A reason is required and not blank (``reason_required``).
Reason = Annotated[
    str,
    StringConstraints(max_length=200),
    documented(minLength=1, pattern=NON_BLANK_PATTERN, examples=["顾客要求"]),
]
OptionalReason = Annotated[str, StringConstraints(max_length=200)]

__all__ = [
    "MAX_ID",
    "BusinessDate",
    "BusinessDateTime",
    "Date",
    "Id",
    "OptionalReason",
    "QueryBool",
    "QueryId",
    "QueryInt",
    "Reason",
    "VisibleText",
]


def _check_text(value: Any) -> Any:
    """Refuse text no database stores faithfully: NUL characters and lone surrogates."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("must be valid Unicode text") from exc
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_text(item)
    return value


class In(Schema):
    """Base of every request schema: unknown fields are refused, text is clean."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        return _check_text(value)


class ErrorBody(Schema):
    code: str = Field(..., description="Stable machine-readable code, e.g. `duplicate_mobile`.")
    message: str = Field(..., description="Human message in the request's language.")
    field: str | None = Field(None, description="The input field at fault, when there is one.")
    details: Any = Field(None, description="Extra facts: validation errors, the permission…")


class ErrorOut(Schema):
    error: ErrorBody


# Error responses every authenticated operation may return.
ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    415: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,  # an API key over its requests per minute (with Retry-After)
}


class StoreRef(Schema):
    id: int
    code: str
    name: str
