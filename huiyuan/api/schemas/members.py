"""Member archive schemas: registration, partial edit, lifecycle, output (masked)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import StrictBool, StringConstraints, field_validator
from pydantic.json_schema import SkipJsonSchema

from huiyuan.api.schemas.common import Id, In, StoreRef
from huiyuan.members.models import Member
from huiyuan.members.services import MAX_NAME_LENGTH, LunarDate

Gender = Literal["U", "M", "F"]
TagName = Annotated[str, StringConstraints(max_length=30)]
CustomKey = Annotated[str, StringConstraints(max_length=40)]
CustomValue = StrictBool | int | Annotated[str, StringConstraints(max_length=200)] | None
CustomFields = Annotated[dict[CustomKey, CustomValue], Field(max_length=50)]
Reason = Annotated[str, StringConstraints(max_length=200)]


class LunarBirthdayIn(In):
    year: int = Field(..., ge=1900, le=2100)
    month: int = Field(..., ge=1, le=12)
    day: int = Field(..., ge=1, le=30)
    leap: bool = Field(False, description="True for the leap (闰) month.")

    def to_domain(self) -> LunarDate:
        return LunarDate(self.year, self.month, self.day, self.leap)


class MemberCreateIn(In):
    name: str = Field(..., max_length=MAX_NAME_LENGTH, examples=["张三丰"])
    mobile: str = Field(..., max_length=20, examples=["13812345678"])
    store_id: Id | None = Field(None, description="Joining store; default: the caller's store.")
    gender: Gender = "U"
    birthday: dt.date | None = Field(None, description="Solar date of birth.")
    lunar_birthday: LunarBirthdayIn | None = Field(
        None, description="Lunar date of birth; takes precedence over `birthday`."
    )
    id_number: str = Field("", max_length=30, description="18-character resident ID number.")
    region: str = Field("", max_length=100)
    address: str = Field("", max_length=200)
    occupation: str = Field("", max_length=50)
    preferences: str = Field("", max_length=1000)
    email: str = Field("", max_length=254)
    custom_fields: CustomFields = Field(default_factory=dict)
    tags: list[TagName] = Field(default_factory=list, max_length=50)
    referrer_code: str = Field("", max_length=20, description="Member number of the referrer.")
    consent: bool = Field(True, description="The member accepted the member charter.")


class MemberPatchIn(In):
    """Only the fields sent are changed; `null` clears an optional field."""

    # These may be left out but not cleared, so null is refused (and not advertised).
    name: str | SkipJsonSchema[None] = Field(None, max_length=MAX_NAME_LENGTH)
    mobile: str | SkipJsonSchema[None] = Field(None, max_length=20)
    gender: Gender | SkipJsonSchema[None] = None
    custom_fields: CustomFields | SkipJsonSchema[None] = None
    tags: Annotated[list[TagName], Field(max_length=50)] | SkipJsonSchema[None] = None
    # These may be cleared with null.
    birthday: dt.date | None = None
    lunar_birthday: LunarBirthdayIn | None = None
    id_number: str | None = Field(None, max_length=30)
    region: str | None = Field(None, max_length=100)
    address: str | None = Field(None, max_length=200)
    occupation: str | None = Field(None, max_length=50)
    preferences: str | None = Field(None, max_length=1000)
    email: str | None = Field(None, max_length=254)

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
    earning: bool = Field(True, description="Freeze (or unfreeze) earning points and bonus.")
    spending: bool = Field(True, description="Freeze (or unfreeze) spending balance and points.")
    reason: Reason


class ReasonIn(In):
    reason: Reason


class MergeIn(In):
    duplicate_id: Id = Field(..., description="The archive merged away into the survivor.")
    reason: Reason


class MemberListQuery(In):
    q: str = Field("", max_length=50, description="Mobile, member number, name, initials, ID.")
    store_id: Id | None = None
    status: Literal["active", "cancelled", "terminated", "merged"] | None = None
    tag: str = Field("", max_length=30, description="Tag name.")
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=1_000_000)


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
