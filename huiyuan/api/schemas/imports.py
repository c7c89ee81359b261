"""Import schemas: member files and legacy opening balances, uploaded as base64 in JSON.

The API takes JSON only, so a file travels as base64 text (``content_base64``), at most
``MAX_PART_CHARS`` characters (about 1.4 MB of file) per request. A larger file is sent in
parts: the first with ``final: false``, then ``POST /imports/{id}/parts`` for each further
part, the last one with ``final: true``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt, StringConstraints

from huiyuan.api.schemas.common import Id, In, QueryInt

MAX_PART_CHARS = 1_900_000  # base64 text per request (under the 2 MB request limit)
# Whole groups of four base64 characters, so that any text the pattern admits decodes.
BASE64_PATTERN = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"

Base64 = Annotated[
    str,
    StringConstraints(max_length=MAX_PART_CHARS, pattern=BASE64_PATTERN),
]
Filename = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Column = Annotated[StrictInt, Field(ge=0, le=500)]
Kind = Literal["members", "opening"]
JobStatus = Literal["uploading", "uploaded", "queued", "running", "done", "failed"]


class _UploadIn(In):
    filename: Filename = Field(..., description="The file's name, e.g. 会员.xlsx.")
    content_base64: Base64 = Field(
        ..., description="The file (.xlsx, or CSV in UTF-8 or GBK), base64-encoded."
    )
    final: StrictBool = Field(True, description="false: more parts follow (`/parts`).")
    store_id: Id = Field(..., description="The store the members join / the cards belong to.")


class MemberImportIn(_UploadIn):
    update_existing: StrictBool = Field(
        False,
        description="Rows whose mobile belongs to a member update that member's mapped "
        "fields (otherwise they are counted as already present and change nothing).",
    )


class OpeningImportIn(_UploadIn):
    card_type_id: Id = Field(..., description="The type of the cards the import creates.")


class PartIn(In):
    content_base64: Base64 = Field(..., description="The next part, base64-encoded.")
    final: StrictBool = Field(True, description="true on the last part.")


class RunIn(In):
    """Nothing to send: the job runs with its mapping and options."""


class MappingIn(In):
    """``{field: column index}`` (0 = the first column); a field left out is not read."""

    name: Column | None = None
    mobile: Column | None = None
    code: Column | None = None
    gender: Column | None = None
    birthday: Column | None = None
    id_number: Column | None = None
    region: Column | None = None
    address: Column | None = None
    occupation: Column | None = None
    email: Column | None = None
    preferences: Column | None = None
    card: Column | None = None
    principal: Column | None = None
    bonus: Column | None = None
    bonus_expires: Column | None = None
    points: Column | None = None
    points_expires: Column | None = None


class MappingUpdateIn(In):
    mapping: MappingIn
    update_existing: StrictBool | None = Field(None, description="Members imports only.")


class ColumnOut(Schema):
    field: str
    label: str
    required: bool


class ImportOut(Schema):
    id: int
    kind: Kind
    status: JobStatus
    filename: str
    file_format: str = Field(..., description="xlsx or csv ('' while uploading).")
    encoding: str
    file_size: int
    header: list[str]
    mapping: dict[str, int]
    columns: list[ColumnOut]
    store_id: int | None
    update_existing: bool
    card_type_id: int | None
    rows_total: int | None
    rows_done: int
    rows_created: int
    rows_present: int
    rows_updated: int
    rows_error: int
    percent: int
    message: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class ImportPageQuery(In):
    kind: Kind | None = None
    limit: QueryInt = Field(50, ge=1, le=200)
    offset: QueryInt = Field(0, ge=0, le=1_000_000)


class ImportPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[ImportOut]


class PreviewQuery(In):
    limit: QueryInt = Field(20, ge=1, le=100)


class PreviewRowOut(Schema):
    row: int
    cells: list[str]
    error: str


class PreviewOut(Schema):
    rows: list[PreviewRowOut]
    created: int = Field(..., description="Rows of the preview that would add a member/card.")
    present: int
    updated: int
    errors: int
    problems: list[str] = Field(..., description="What stops the run (the mapping).")


class TotalsOut(Schema):
    label: str
    rows: int
    principal_fen: int
    bonus_fen: int
    points: int


class ReconciliationOut(Schema):
    file: TotalsOut
    posted: TotalsOut
    present: TotalsOut
    refused: TotalsOut
    ledger: TotalsOut
    difference: TotalsOut
    ok: bool
