"""Domain-event feed schemas: what an integrator polls from ``GET /events``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from huiyuan.api.schemas.common import MAX_ID, BusinessDateTime, In, QueryInt
from huiyuan.events.names import EVENTS

EVENT_NAMES = sorted(EVENTS)


def _known_event(value: str) -> str:
    if value not in EVENTS:
        raise PydanticCustomError("unknown_event", "is not an event name")
    return value


EventName = Annotated[
    str,
    AfterValidator(_known_event),
    WithJsonSchema({"type": "string", "enum": EVENT_NAMES}),
]


class EventFeedQuery(In):
    name: EventName | None = Field(None, description="Only events of this name.")
    since: BusinessDateTime | None = Field(None, description="Only events at or after this moment.")
    after: QueryInt = Field(
        0, ge=0, le=MAX_ID, description="Only events with a larger id (the `next_after` you got)."
    )
    limit: QueryInt = Field(100, ge=1, le=500)


class EventOut(Schema):
    id: int = Field(..., description="Grows with every event; poll with `after`.")
    name: str = Field(..., description="e.g. `sale.completed`; see docs/events.md.")
    occurred_at: dt.datetime
    member_id: int | None
    store_id: int | None
    payload: dict[str, Any] = Field(
        ..., description="Ids, amounts (fen, points) and codes; never personal data."
    )
    status: Literal["pending", "done", "failed"] = Field(
        ..., description="Delivery to the in-process subscribers."
    )


class EventPageOut(Schema):
    limit: int
    after: int
    next_after: int = Field(..., description="Pass as `after` for the next page.")
    has_more: bool
    items: list[EventOut]
