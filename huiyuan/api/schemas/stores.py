"""Who is calling, and the stores they act in."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Schema

from huiyuan.api.schemas.common import StoreRef


class StaffRef(Schema):
    id: int
    username: str
    display_name: str


class TerminalRef(Schema):
    id: int
    code: str
    name: str


class MeOut(Schema):
    kind: Literal["staff", "terminal"]
    role: str
    role_label: str
    staff: StaffRef | None
    terminal: TerminalRef | None
    store: StoreRef | None = Field(..., description="The store the caller acts at now.")
    store_ids: list[int] | None = Field(
        ..., description="Stores the caller may act in; null means every store of the chain."
    )
    permissions: list[str]


class StoreOut(StoreRef):
    address: str
    phone: str
    is_active: bool
    member_count: int
    terminal_count: int
