"""Excel export of a console list: the same rows the page filters, every page of them.

A list view asks ``wants_xlsx(request)`` and, when true, returns ``xlsx_download(...)`` with
its columns and the filtered (unpaginated) rows; the page shows the button with
``{% export_button %}`` (``console/templatetags/exports.py``), which keeps the filters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from django.http import FileResponse, HttpRequest

from huiyuan.core import xlsx
from huiyuan.core.clock import local_today

Row = TypeVar("Row")
PARAM = "export"
FORMAT = "xlsx"


def wants_xlsx(request: HttpRequest) -> bool:
    return request.GET.get(PARAM) == FORMAT


def xlsx_download(
    *, name: str, title: str, columns: Sequence[xlsx.Column[Row]], rows: Iterable[Row]
) -> FileResponse:
    """Stream ``rows`` as ``<name>-<local date>.xlsx``."""
    stream = xlsx.write(sheet_title=title, columns=columns, rows=rows)
    return FileResponse(stream, as_attachment=True, filename=f"{name}-{local_today():%Y%m%d}.xlsx")
