"""Stock on hand as an Excel file: written row by row (XlsxWriter, constant memory) to a
temporary file that the caller streams; quantities are numbers in units, never formulas."""

from __future__ import annotations

import os
import tempfile
from decimal import Decimal
from typing import IO

import xlsxwriter
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from huiyuan.core.permissions import Actor
from huiyuan.stock.selectors import level_list


def levels_export(
    *, actor: Actor, store_id: int | None = None, query: str = "", low_only: bool = False
) -> IO[bytes]:
    """The filtered levels (the stores in the actor's view only) as an .xlsx file opened
    for reading; its name is already unlinked."""
    levels = level_list(actor=actor, store_id=store_id, query=query, low_only=low_only)
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="huiyuan-stock-")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "in_memory": False})
        sheet = workbook.add_worksheet(pgettext("stock", "Stock"))
        header = workbook.add_format({"bold": True, "bg_color": "#E8EEF9", "border": 1})
        quantity = workbook.add_format({"num_format": "0.###"})
        columns = [
            (_("Store"), 14),
            (_("SKU"), 16),
            (_("Product"), 24),
            (_("Unit"), 8),
            (_("On hand"), 12),
            (_("Reorder point"), 12),
            (_("Low stock"), 10),
        ]
        for col, (title, width) in enumerate(columns):
            sheet.set_column(col, col, width)
            sheet.write_string(0, col, str(title), header)
        sheet.freeze_panes(1, 0)
        for row, level in enumerate(levels.iterator(chunk_size=1000), start=1):
            sheet.write_string(row, 0, level.store.name)
            sheet.write_string(row, 1, level.product.sku)
            sheet.write_string(row, 2, level.product.name)
            sheet.write_string(row, 3, str(level.product.get_unit_display()))
            sheet.write_number(row, 4, Decimal(level.on_hand_milli) / 1000, quantity)  # type: ignore[call-overload]
            if level.reorder_point_milli is not None:
                sheet.write_number(row, 5, Decimal(level.reorder_point_milli) / 1000, quantity)  # type: ignore[call-overload]
            sheet.write_string(row, 6, "✓" if level.is_low else "")
        workbook.close()
        return open(path, "rb")  # the caller's response closes it
    finally:
        os.unlink(path)
