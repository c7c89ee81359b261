"""The sales list as an Excel file: written row by row (XlsxWriter, constant memory) to a
temporary file that the caller streams; amounts are numbers in yuan, never formulas."""

from __future__ import annotations

import os
import tempfile
from decimal import Decimal
from typing import IO

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _

from huiyuan.checkout.models import Sale
from huiyuan.checkout.selectors import SaleFilters, sale_list, sale_status
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.replica import on_replica


def status_label(status: str) -> str:
    labels = {
        "completed": _("Completed"),
        "partly_returned": _("Partly returned"),
        "returned": _("Returned"),
        "reversed": _("Reversed"),
    }
    return labels.get(status, status)


def _columns() -> list[tuple[str, int, bool]]:
    """(title, width, is money) of each column."""
    return [
        (_("Receipt number"), 24, False),
        (_("Time"), 18, False),
        (_("Store"), 12, False),
        (_("Cashier"), 10, False),
        (_("Member number"), 14, False),
        (_("Status"), 10, False),
        (_("List amount"), 12, True),
        (_("Discount"), 10, True),
        (_("Payable"), 12, True),
        (_("Points offset"), 10, True),
        (_("Principal"), 12, True),
        (_("Bonus"), 10, True),
        (_("External"), 12, True),
        (_("External method"), 10, False),
        (_("Returned"), 12, True),
        (_("Points used"), 10, False),
        (_("Points earned"), 10, False),
    ]


def _row(sale: Sale) -> list[object]:
    return [
        sale.number,
        timezone.localtime(sale.created_at).strftime("%Y-%m-%d %H:%M:%S"),
        sale.store.name,
        sale.operator.display_name if sale.operator else "",
        sale.member.code if sale.member else "",
        status_label(sale_status(sale)),
        sale.amount_fen,
        sale.discount_fen,
        sale.payable_fen,
        sale.points_offset_fen,
        sale.paid_principal_fen,
        sale.paid_bonus_fen,
        sale.paid_external_fen,
        sale.external_method,
        sale.returned_payable_fen,
        sale.points_used,
        sale.points_earned,
    ]


@on_replica
def sales_export(*, actor: Actor, filters: SaleFilters) -> IO[bytes]:
    """The filtered sales as an .xlsx file opened for reading (its name already unlinked:
    the open handle keeps the data until it is closed)."""
    require(actor, Perm.REPORT_VIEW)
    sales = sale_list(actor=actor, filters=filters)
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="huiyuan-sales-")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "in_memory": False})
        sheet = workbook.add_worksheet(_("Sales"))
        header = workbook.add_format({"bold": True, "bg_color": "#E8EEF9", "border": 1})
        money = workbook.add_format({"num_format": "0.00"})
        columns = _columns()
        for col, (title, width, _money) in enumerate(columns):
            sheet.set_column(col, col, width)
            sheet.write_string(0, col, str(title), header)
        sheet.freeze_panes(1, 0)
        for row, sale in enumerate(sales.iterator(chunk_size=1000), start=1):
            for col, value in enumerate(_row(sale)):
                if columns[col][2]:
                    sheet.write_number(row, col, Decimal(int(value)) / 100, money)  # type: ignore[call-overload]
                elif isinstance(value, int):
                    sheet.write_number(row, col, value)
                else:
                    sheet.write_string(row, col, str(value))
        workbook.close()
        return open(path, "rb")  # the caller's response closes it
    finally:
        os.unlink(path)
