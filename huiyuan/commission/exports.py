"""The monthly commission report as an Excel file (XlsxWriter, constant memory)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from decimal import Decimal
from typing import IO

import xlsxwriter
from django.utils.translation import gettext as _

from huiyuan.commission.selectors import CommissionLine
from huiyuan.core.permissions import ROLE_LABELS, Role


def commission_export(lines: Sequence[CommissionLine], *, month: str) -> IO[bytes]:
    """One row per staff member and store; amounts in yuan as numbers."""
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="huiyuan-commission-")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "in_memory": False})
        header = workbook.add_format({"bold": True, "bg_color": "#E8EEF9", "border": 1})
        money = workbook.add_format({"num_format": "0.00"})
        sheet = workbook.add_worksheet(month)
        titles = [
            _("Store"),
            _("Staff member"),
            _("Role"),
            _("Sales commission"),
            _("Taken back (returns)"),
            _("Recharge commission"),
            _("Total"),
            _("Entries"),
        ]
        for col, title in enumerate(titles):
            sheet.set_column(col, col, 14)
            sheet.write_string(0, col, str(title), header)
        sheet.freeze_panes(1, 0)
        for row, line in enumerate(lines, start=1):
            sheet.write_string(row, 0, line.store_name)
            sheet.write_string(row, 1, line.staff_name)
            sheet.write_string(row, 2, str(ROLE_LABELS[Role(line.role)]))
            for col, fen in enumerate(
                (line.sales_fen, line.returns_fen, line.recharges_fen, line.total_fen), start=3
            ):
                sheet.write_number(row, col, Decimal(fen) / 100, money)  # type: ignore[call-overload]
            sheet.write_number(row, 7, line.entries)
        workbook.close()
        return open(path, "rb")
    finally:
        os.unlink(path)
