"""Reading spreadsheets people send us: .xlsx (streamed) and CSV (UTF-8 or GBK).

The part every import shares (products, batch recharge, members, opening balances): a cell
as the text a person typed (whole numbers without ``.0``, never through float maths), a
header compared without spaces or case, and the rows of a file one at a time — an .xlsx is
read with openpyxl's read-only mode and a CSV line by line, so a file of a million rows is
never held in memory.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

XLSX = "xlsx"
CSV = "csv"
ZIP_MAGIC = b"PK\x03\x04"


class SheetUnreadable(Exception):
    """The file is not a workbook or a CSV we can read."""


def cell_text(value: object) -> str:
    """A cell as the text a person typed; whole numbers without ``.0``; dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)  # the shortest text that reads back as this float: 100.1
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def header_key(text: str) -> str:
    """A header as compared: no spaces (ASCII or full-width), no brackets' width, lowercase."""
    return (
        text.replace(" ", "")
        .replace("\u3000", "")
        .replace("（", "(")
        .replace("）", ")")
        .replace("_", "")
        .lower()
    )


def sniff_format(head: bytes) -> str:
    """An .xlsx is a zip archive; anything else is taken as CSV text."""
    return XLSX if head.startswith(ZIP_MAGIC) else CSV


def sniff_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) when the start decodes as UTF-8, else GBK (GB18030)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # A multi-byte character may be cut at the end of the sample: decode incrementally.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def iter_rows(path: Path, *, fmt: str, encoding: str = "utf-8") -> Iterator[list[str]]:
    """Every row of the file's first sheet as a list of cell texts, the header first."""
    if fmt == XLSX:
        yield from _iter_xlsx(path)
    else:
        yield from _iter_csv(path, encoding)


def _iter_xlsx(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    with path.open("rb") as raw:  # a file object: openpyxl would judge a path by its suffix
        try:
            workbook = load_workbook(raw, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise SheetUnreadable(str(exc)) from exc
        try:
            if not workbook.worksheets:
                raise SheetUnreadable("no sheet")
            for values in workbook.worksheets[0].iter_rows(values_only=True):
                yield [cell_text(v) for v in values]
        finally:
            workbook.close()


def _iter_csv(path: Path, encoding: str) -> Iterator[list[str]]:
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
        try:
            for values in csv.reader(text):
                yield [v.strip() for v in values]
        except (UnicodeDecodeError, csv.Error) as exc:
            raise SheetUnreadable(str(exc)) from exc
