"""Schemas of what was console-only: member tags, custom fields, API keys, store scope."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StrictBool, StrictInt, StringConstraints

from huiyuan.api.schemas.common import Id, In
from huiyuan.core.bounds import NON_BLANK_PATTERN

# ---------------------------------------------------------------------------------- tags

TagColor = Literal[
    "blue", "azure", "green", "lime", "yellow", "orange", "red", "pink", "purple", "teal"
]
TagLabel = Annotated[
    str,
    StringConstraints(min_length=1, max_length=30, pattern=NON_BLANK_PATTERN),
    Field(examples=["高净值"]),
]
MemberIds = Annotated[
    list[Id],
    Field(min_length=1, max_length=1000, description="1–1000 member ids.", examples=[[1, 2]]),
]


class TagIn(In):
    name: TagLabel
    color: TagColor = "blue"


class TagOut(Schema):
    id: int = Field(..., examples=[3])
    name: str = Field(..., examples=["高净值"])
    color: str = Field(..., examples=["blue"])
    member_count: int = Field(
        ..., description="Members who carry the tag (not merged away).", examples=[12]
    )
    created_at: dt.datetime = Field(..., examples=["2026-05-01T09:30:00+08:00"])


class TagMembersIn(In):
    member_ids: MemberIds


class TagMembersOut(Schema):
    tag: TagOut
    member_ids: list[int] = Field(
        ..., description="The members named, who now carry (or no longer carry) the tag."
    )
    changed: list[int] | None = Field(
        ...,
        description="Those whose tags changed by this call; null on a replay of the same "
        "Idempotency-Key.",
    )


# ------------------------------------------------------------------------ custom fields

FieldKind = Literal["text", "number", "date", "choice", "bool"]
FieldLabel = Annotated[
    str,
    StringConstraints(min_length=1, max_length=40, pattern=NON_BLANK_PATTERN),
    Field(examples=["车牌号"]),
]
Choice = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=NON_BLANK_PATTERN)]
Choices = Annotated[
    list[Choice],
    Field(
        max_length=50,
        description="A choice field's choices (at most 50); empty for other kinds.",
        examples=[["短毛", "长毛"]],
    ),
]


class CustomFieldCreateIn(In):
    key: str = Field(
        ...,
        pattern=r"^[a-z][a-z0-9_]{0,39}$",
        description="Lowercase letters, digits and underscores, starting with a letter; "
        "never changes.",
        examples=["plate_number"],
    )
    label: FieldLabel
    kind: FieldKind = Field(..., description="Never changes.", examples=["text"])
    choices: Choices = Field(default_factory=list)
    required: StrictBool = False


class CustomFieldUpdateIn(In):
    label: FieldLabel
    choices: Choices = Field(default_factory=list)
    required: StrictBool = False
    position: Annotated[StrictInt, Field(ge=0, le=10000)] | None = Field(
        None, description="Display order (smaller first); omitted: unchanged.", examples=[1]
    )


class CustomFieldActiveIn(In):
    active: StrictBool = Field(
        ...,
        description="false retires the field (values kept, no longer asked); true again.",
        examples=[False],
    )


class CustomFieldOut(Schema):
    id: int = Field(..., examples=[2])
    key: str = Field(..., examples=["plate_number"])
    label: str = Field(..., examples=["车牌号"])
    kind: str = Field(..., examples=["text"])
    choices: list[str] = Field(..., examples=[[]])
    required: bool = Field(..., examples=[False])
    is_active: bool = Field(..., examples=[True])
    position: int = Field(..., examples=[0])


CustomValue = StrictBool | StrictInt | Annotated[str, StringConstraints(max_length=200)] | None


class MemberCustomFieldsIn(In):
    values: Annotated[
        dict[Annotated[str, StringConstraints(max_length=40)], CustomValue],
        Field(
            min_length=1,
            max_length=50,
            description="Field key → value (a whole number, YYYY-MM-DD, a choice, true/false "
            "or text); null or an empty string clears it. Keys not sent keep their value.",
            examples=[{"plate_number": "沪A12345", "pet_count": 2}],
        ),
    ]


class MemberCustomFieldsOut(Schema):
    member_id: int = Field(..., examples=[1])
    values: dict[str, Any] = Field(..., examples=[{"plate_number": "沪A12345", "pet_count": 2}])


# ----------------------------------------------------------------------------- API keys

ScopeName = Literal[
    "all", "members:read", "members:write", "sell", "recharge", "points", "reports", "configure"
]
KeyRole = Literal["store_manager", "cashier", "call_center", "marketer"]
RateLimit = Annotated[
    StrictInt,
    Field(ge=1, le=100_000, description="Requests per minute (429 beyond).", examples=[600]),
]
Scopes = Annotated[
    list[ScopeName],
    Field(
        min_length=1,
        max_length=8,
        description="What the key may do, within its role and the caller's own rights.",
        examples=[["members:read", "sell"]],
    ),
]


def _all_scopes() -> list[ScopeName]:
    return ["all"]


class ApiKeyCreateIn(In):
    terminal_id: Id = Field(..., examples=[1])
    name: Annotated[str, StringConstraints(max_length=100)] = Field(
        "", description="Empty: the terminal's name.", examples=["收银台 1"]
    )
    role: KeyRole = Field("cashier", examples=["cashier"])
    scopes: Scopes = Field(default_factory=_all_scopes)
    rate_limit_per_minute: RateLimit = 600


class ApiKeyLimitsIn(In):
    scopes: Scopes | None = None
    rate_limit_per_minute: RateLimit | None = None


class ApiKeyOut(Schema):
    id: int = Field(..., examples=[4])
    name: str = Field(..., examples=["收银台 1"])
    prefix: str = Field(
        ..., description="The key's public part: hy_<prefix>_….", examples=["3f9a1c2e"]
    )
    terminal_id: int = Field(..., examples=[1])
    store_id: int = Field(..., examples=[1])
    role: str = Field(..., examples=["cashier"])
    scopes: list[str] = Field(..., examples=[["members:read", "sell"]])
    rate_limit_per_minute: int = Field(..., examples=[600])
    is_active: bool = Field(..., examples=[True])
    created_at: dt.datetime = Field(..., examples=["2026-05-01T09:30:00+08:00"])
    last_used_at: dt.datetime | None = Field(..., examples=[None])
    revoked_at: dt.datetime | None = Field(..., examples=[None])


class ApiKeyCreatedOut(ApiKeyOut):
    key: str | None = Field(
        ...,
        description="The whole key, shown in this answer only (null on a replay of the same "
        "Idempotency-Key: store it when you first receive it).",
        examples=["hy_3f9a1c2e_Jq0…"],
    )


# -------------------------------------------------------------------------- store scope

ScopeOperation = Literal[
    "spend",
    "recharge",
    "report_lost",
    "mark_found",
    "renew",
    "reissue",
    "cancel",
    "add_holder",
    "refund",
    "points_adjust",
    "points_revoke",
    "points_supplement",
    "sale_reverse",
    "tier_move",
]
Reach = Literal["chain", "home"]


class StoreScopeRuleOut(Schema):
    operation: str = Field(..., examples=["refund"])
    label: str = Field(..., examples=["退储值"])
    reach: str = Field(
        ...,
        description="chain: any store of the chain; home: only the card's (sale's, member's) "
        "own store, or head office.",
        examples=["home"],
    )
    default: str = Field(..., examples=["home"])
    configurable: bool = Field(..., examples=[True])


class StoreScopePolicyOut(Schema):
    rules: list[StoreScopeRuleOut]


class StoreScopePolicyIn(In):
    rules: Annotated[
        dict[ScopeOperation, Reach],
        Field(
            min_length=1,
            description="Operation → reach, for the operations to change; the others keep theirs.",
            examples=[{"refund": "chain", "tier_move": "home"}],
        ),
    ]


class TagDeletedOut(Schema):
    id: int = Field(..., examples=[3])
    member_count: int | None = Field(
        ...,
        description="Members who had the tag; null on a replay of the same Idempotency-Key.",
        examples=[12],
    )


class ApiKeyRevokeIn(In):
    """Nothing to send: ``{}``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}]})
