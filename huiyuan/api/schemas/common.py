"""Schemas every domain shares: the error body, references, input hygiene."""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import ConfigDict, field_validator

# The largest primary key the databases hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


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
    422: ErrorOut,
}


class StoreRef(Schema):
    id: int
    code: str
    name: str
