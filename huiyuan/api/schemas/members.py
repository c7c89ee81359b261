"""Member archive schemas: registration, partial edit, lifecycle, output (masked)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import (
    BeforeValidator,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema

from huiyuan.api.schemas.common import (
    Id,
    In,
    QueryId,
    QueryInt,
    Reason,
    StoreRef,
    VisibleText,
    date_text,
    documented,
)
from huiyuan.core.bounds import SPACE_CLASS
from huiyuan.members.models import Member
from huiyuan.members.services import MAX_NAME_LENGTH, LunarDate

Gender = Literal["U", "M", "F"]
TagName = Annotated[str, StringConstraints(max_length=30)]
CustomKey = Annotated[str, StringConstraints(max_length=40)]
CustomValue = StrictBool | StrictInt | Annotated[str, StringConstraints(max_length=200)] | None
CustomFields = Annotated[dict[CustomKey, CustomValue], Field(max_length=50)]
Name = Annotated[VisibleText, StringConstraints(max_length=MAX_NAME_LENGTH)]
# Spaces and dashes may separate the digits; the service refuses anything else
# (``invalid_mobile``).
_SEP = "[ -]*"
Mobile = Annotated[
    str,
    StringConstraints(max_length=20),
    documented(
        pattern=f"^{_SEP}(\\+{_SEP}8{_SEP}6|8{_SEP}6)?{_SEP}1{_SEP}[3-9]({_SEP}[0-9]){{9}}{_SEP}$",
        examples=["13812345678"],
    ),
]
# 17 digits and a digit or X, or nothing; the service also checks the birth date inside and
# the checksum (``invalid_id_number``, ``invalid_id_checksum``).
IdNumber = Annotated[
    str,
    StringConstraints(max_length=30),
    documented(pattern=f"^{SPACE_CLASS}*([0-9]{{17}}[0-9Xx])?{SPACE_CLASS}*$"),
]
Email = Annotated[
    str,
    Field(
        max_length=254,
        description="An e-mail address, or empty for none.",
        json_schema_extra={"anyOf": [{"format": "email"}, {"maxLength": 0}]},
    ),
]
# Solar birthdays from 1900; the service also refuses a date after today (``invalid_birthday``).
Birthday = Annotated[
    dt.date,
    BeforeValidator(date_text),
    WithJsonSchema({"type": "string", "format": "date", "pattern": "^(19|20)[0-9]{2}-"}),
]


class LunarBirthdayIn(In):
    year: StrictInt = Field(..., ge=1900, le=2100)
    month: StrictInt = Field(..., ge=1, le=12)
    day: StrictInt = Field(..., ge=1, le=30)
    leap: StrictBool = Field(False, description="True for the leap (闰) month.")

    def to_domain(self) -> LunarDate:
        return LunarDate(self.year, self.month, self.day, self.leap)


class MemberCreateIn(In):
    name: Name = Field(..., examples=["张三丰"])
    mobile: Mobile = Field(..., examples=["13812345678"])
    store_id: Id | None = Field(None, description="Joining store; default: the caller's store.")
    gender: Gender = "U"
    birthday: Birthday | None = Field(None, description="Solar date of birth.")
    lunar_birthday: LunarBirthdayIn | None = Field(
        None, description="Lunar date of birth; takes precedence over `birthday`."
    )
    id_number: IdNumber = Field("", description="18-character resident ID number.")
    region: str = Field("", max_length=100)
    address: str = Field("", max_length=200)
    occupation: str = Field("", max_length=50)
    preferences: str = Field("", max_length=1000)
    email: Email = ""
    custom_fields: CustomFields = Field(default_factory=dict)
    tags: list[TagName] = Field(default_factory=list, max_length=50)
    referrer_code: str = Field("", max_length=20, description="Member number of the referrer.")
    consent: StrictBool = Field(
        True,
        description="The member accepted the member charter: must be true.",
        json_schema_extra={"const": True},
    )


class MemberPatchIn(In):
    """Only the fields sent are changed; `null` clears an optional field."""

    # These may be left out but not cleared, so null is refused (and not advertised).
    name: Name | SkipJsonSchema[None] = None
    mobile: Mobile | SkipJsonSchema[None] = None
    gender: Gender | SkipJsonSchema[None] = None
    custom_fields: CustomFields | SkipJsonSchema[None] = None
    tags: Annotated[list[TagName], Field(max_length=50)] | SkipJsonSchema[None] = None
    # These may be cleared with null.
    birthday: Birthday | None = None
    lunar_birthday: LunarBirthdayIn | None = None
    id_number: IdNumber | None = None
    region: str | None = Field(None, max_length=100)
    address: str | None = Field(None, max_length=200)
    occupation: str | None = Field(None, max_length=50)
    preferences: str | None = Field(None, max_length=1000)
    email: Email | None = None

    @field_validator("name", "mobile", "gender", "custom_fields", "tags", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be left out but not null")
        return value

    def changes(self) -> dict[str, Any]:
        sent = self.model_dump(exclude_unset=True)
        if "lunar_birthday" in sent:
            sent["lunar_birthday"] = (
                self.lunar_birthday.to_domain() if self.lunar_birthday else None
            )
        if "id_number" in sent and sent["id_number"] is None:
            sent["id_number"] = ""
        return sent


class FreezeIn(In):
    earning: StrictBool = Field(True, description="Freeze (or unfreeze) earning points and bonus.")
    spending: StrictBool = Field(
        True, description="Freeze (or unfreeze) spending balance and points."
    )
    reason: Reason


class ReasonIn(In):
    reason: Reason


class MergeIn(In):
    duplicate_id: Id = Field(..., description="The archive merged away into the survivor.")
    reason: Reason


class MemberListQuery(In):
    q: str = Field(
        "",
        max_length=50,
        description=(
            "Member number, name or initials. A mobile or an ID number is personal data: "
            "search for it with `POST /members/search`, which keeps it out of URLs."
        ),
    )
    store_id: QueryId | None = None
    status: Literal["active", "cancelled", "terminated", "merged"] | None = None
    tag: str = Field("", max_length=30, description="Tag name.")
    limit: QueryInt = Field(20, ge=1, le=100)
    offset: QueryInt = Field(0, ge=0, le=1_000_000)


class MemberSearchIn(In):
    """The list's filters in a JSON body, so that a mobile or ID number is not in the URL."""

    q: str = Field("", max_length=50, description="Mobile, member number, name, initials, ID.")
    store_id: Id | None = None
    status: Literal["active", "cancelled", "terminated", "merged"] | None = None
    tag: str = Field("", max_length=30, description="Tag name.")
    limit: StrictInt = Field(20, ge=1, le=100)
    offset: StrictInt = Field(0, ge=0, le=1_000_000)


class LunarBirthdayOut(Schema):
    month: int
    day: int
    leap: bool


class MemberSummaryOut(Schema):
    id: int
    code: str
    name: str
    gender: str
    mobile_masked: str
    status: str
    earn_frozen: bool
    spend_frozen: bool
    channel: str
    home_store: StoreRef
    joined_at: dt.datetime


class MemberOut(MemberSummaryOut):
    birthday: dt.date | None
    birthday_calendar: str
    lunar_birthday: LunarBirthdayOut | None
    id_number_masked: str
    address_masked: str
    region: str
    occupation: str
    preferences: str
    email: str
    custom_fields: dict[str, Any]
    tags: list[str]
    referrer_code: str | None
    merged_into_code: str | None
    freeze_reason: str
    last_activity_at: dt.datetime | None
    updated_at: dt.datetime

    @staticmethod
    def resolve_lunar_birthday(member: Member) -> dict[str, Any] | None:
        if member.birthday_calendar != Member.Calendar.LUNAR or member.lunar_birth_month is None:
            return None
        return {
            "month": member.lunar_birth_month,
            "day": member.lunar_birth_day,
            "leap": member.lunar_birth_leap,
        }

    @staticmethod
    def resolve_address_masked(member: Member) -> str:
        return "****" if member.address_enc else ""

    @staticmethod
    def resolve_tags(member: Member) -> list[str]:
        return sorted(t.name for t in member.tags.all())

    @staticmethod
    def resolve_referrer_code(member: Member) -> str | None:
        return member.referrer.code if member.referrer_id and member.referrer else None

    @staticmethod
    def resolve_merged_into_code(member: Member) -> str | None:
        return member.merged_into.code if member.merged_into_id and member.merged_into else None


class MemberPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[MemberSummaryOut]


class HistoryEventOut(Schema):
    id: int
    created_at: dt.datetime
    action: str
    actor_label: str
    member_id: int | None
    store: StoreRef | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str


class PiiOut(Schema):
    mobile: str
    id_number: str
    address: str
