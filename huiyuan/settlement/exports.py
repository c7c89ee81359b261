"""The settlement report as an Excel file (XlsxWriter, constant memory; yuan as numbers)."""

from __future__ import annotations

import os
import tempfile
from decimal import Decimal
from typing import IO

import xlsxwriter
from django.utils.translation import gettext as _

from huiyuan.settlement.selectors import SettlementReport


def _yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


def settlement_export(report: SettlementReport) -> IO[bytes]:
    """Two sheets: per store, and who owes whom. Returns the file opened for reading."""
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="huiyuan-settlement-")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "in_memory": False})
        header = workbook.add_format({"bold": True, "bg_color": "#E8EEF9", "border": 1})
        money = workbook.add_format({"num_format": "0.00"})
        sheet = workbook.add_worksheet(_("Per store"))
        titles = [
            _("Store code"),
            _("Store"),
            _("Recharged"),
            _("Spent from principal"),
            _("Spent from bonus"),
            _("Refunded"),
            _("Owed by other stores"),
            _("Owes other stores"),
            _("Net position"),
        ]
        for col, title in enumerate(titles):
            sheet.set_column(col, col, 14)
            sheet.write_string(0, col, str(title), header)
        sheet.freeze_panes(1, 0)
        for row, line in enumerate(report.lines, start=1):
            f = line.figures
            sheet.write_string(row, 0, line.store_code)
            sheet.write_string(row, 1, line.store_name)
            for col, fen in enumerate(
                (
                    f.recharged_fen,
                    f.spent_principal_fen,
                    f.spent_bonus_fen,
                    f.refunded_fen,
                    f.receivable_fen,
                    f.payable_fen,
                    f.net_fen,
                ),
                start=2,
            ):
                sheet.write_number(row, col, _yuan(fen), money)  # type: ignore[call-overload]
        pairs = workbook.add_worksheet(_("Who owes whom"))
        for col, title in enumerate(
            [_("Owes"), _("Owed to"), _("Principal"), _("Bonus"), _("Total")]
        ):
            pairs.set_column(col, col, 14)
            pairs.write_string(0, col, str(title), header)
        for row, pair in enumerate(report.pairs, start=1):
            pairs.write_string(row, 0, pair.debtor_name)
            pairs.write_string(row, 1, pair.creditor_name)
            for col, fen in enumerate((pair.principal_fen, pair.bonus_fen, pair.total_fen), 2):
                pairs.write_number(row, col, _yuan(fen), money)  # type: ignore[call-overload]
        workbook.close()
        return open(path, "rb")
    finally:
        os.unlink(path)
