"""Write a list as an .xlsx in constant memory: one row at a time, to a temporary file.

The caller describes its columns once (title, kind, width, how to read a row) and passes
any iterable of rows, usually ``queryset.iterator(chunk_size=…)``; a million rows never sit
in memory. Money (fen) becomes a number in yuan with two decimals, counts stay numbers,
moments are written in the business time zone, and text is always written as text (never a
formula: a cell that starts with "=" stays a string).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any, Generic, Literal, TypeVar

import xlsxwriter

from huiyuan.core.clock import local_time

Row = TypeVar("Row")
Kind = Literal["text", "money", "number", "moment", "date"]


@dataclass(frozen=True)
class Column(Generic[Row]):
    title: Any  # a (lazy) translated string
    value: Callable[[Row], object]
    kind: Kind = "text"
    width: int = 14


def write(*, sheet_title: str, columns: Sequence[Column[Row]], rows: Iterable[Row]) -> IO[bytes]:
    """The rows as an .xlsx opened for reading (its name already unlinked)."""
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="huiyuan-list-")
    os.close(handle)
    try:
        book = xlsxwriter.Workbook(
            path, {"constant_memory": True, "in_memory": False, "strings_to_formulas": False}
        )
        sheet = book.add_worksheet(_sheet_name(sheet_title))
        head = book.add_format({"bold": True, "bg_color": "#E8EEF9", "border": 1})
        formats = {
            "money": book.add_format({"num_format": "#,##0.00"}),
            "moment": book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
            "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        }
        for col, column in enumerate(columns):
            sheet.set_column(col, col, column.width)
            sheet.write_string(0, col, str(column.title), head)
        sheet.freeze_panes(1, 0)
        for n, row in enumerate(rows, start=1):
            for col, column in enumerate(columns):
                _cell(sheet, n, col, column.kind, column.value(row), formats)
        book.close()
        return open(path, "rb")
    finally:
        os.unlink(path)


def _cell(sheet: Any, row: int, col: int, kind: Kind, value: object, formats: dict) -> None:
    if value is None or value == "":
        return
    if kind == "money" and isinstance(value, int):
        sheet.write_number(row, col, Decimal(value) / 100, formats["money"])
    elif kind == "number" and isinstance(value, int | float | Decimal):
        sheet.write_number(row, col, value)
    elif kind == "moment" and isinstance(value, dt.datetime):
        sheet.write_datetime(row, col, local_time(value).replace(tzinfo=None), formats["moment"])
    elif kind == "date" and isinstance(value, dt.date):
        sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), formats["date"])
    else:
        sheet.write_string(row, col, str(value))


def _sheet_name(title: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in str(title))
    return cleaned[:31] or "Sheet1"
