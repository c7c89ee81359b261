"""Webhook schemas: subscriptions (the secret only when it is made) and the delivery log."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

from huiyuan.api.schemas.common import In, QueryId, QueryInt, documented
from huiyuan.api.schemas.events import EVENT_NAMES, EventName
from huiyuan.core.bounds import NON_BLANK_PATTERN

WebhookName = Annotated[
    str, StringConstraints(max_length=100), documented(minLength=1, pattern=NON_BLANK_PATTERN)
]
WebhookUrl = Annotated[
    str,
    StringConstraints(max_length=500),
    documented(
        pattern=r"^https?://",
        description=(
            "http(s) URL of the receiver. Private, loopback and link-local addresses are "
            "refused (`invalid_webhook_url`) unless the server allows them."
        ),
    ),
]
EventNames = Annotated[
    list[EventName], Field(min_length=1, max_length=len(EVENT_NAMES), description="Event names.")
]


class WebhookCreateIn(In):
    name: WebhookName
    url: WebhookUrl
    event_names: EventNames


class WebhookPatchIn(In):
    name: WebhookName | None = None
    url: WebhookUrl | None = None
    event_names: EventNames | None = None


class WebhookActionIn(In):
    """No fields (disable, enable, a new secret, a replay): send ``{}``."""


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    event_names: list[str]
    is_active: bool
    disabled_reason: Literal["", "manual", "failures"] = Field(
        ..., description="Why it is disabled: by staff, or after repeated failures."
    )
    disabled_at: dt.datetime | None
    consecutive_failures: int
    secret_hint: str = Field(..., description="The secret's last four characters.")
    created_at: dt.datetime


class WebhookSecretOut(WebhookOut):
    secret: str = Field(
        ..., description="Signs every request (HMAC-SHA256). Shown here only: keep it."
    )


class DeliveryQuery(In):
    subscription_id: QueryId | None = None
    status: Literal["pending", "succeeded", "failed"] | None = None
    event: EventName | None = Field(None, description="Only deliveries of this event.")
    limit: QueryInt = Field(50, ge=1, le=200)
    offset: QueryInt = Field(0, ge=0, le=1_000_000)


class AttemptOut(Schema):
    number: int
    started_at: dt.datetime
    duration_ms: int
    status_code: int | None = Field(..., description="None: no answer (see `error`).")
    response_excerpt: str = Field(..., description="The answer's first 1000 characters.")
    error: str
    succeeded: bool


class DeliveryOut(Schema):
    id: int
    uid: uuid.UUID = Field(..., description="Sent as `X-Huiyuan-Delivery`.")
    subscription_id: int
    event_id: int
    event_name: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    next_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str
    replay_of_id: int | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None


class DeliveryDetailOut(DeliveryOut):
    body: str = Field(..., description="The exact JSON sent.")
    attempt_log: list[AttemptOut]


class DeliveryPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[DeliveryOut]
