"""The report center (An4): each report's columns and rows, and its Excel workbook.

A report is a code, a title, its columns (``text``, ``money`` in fen, ``int``, ``time``)
and a function giving its rows for a date range and the stores in view — a generator, so
an export of a million rows streams (``workbook_write``: XlsxWriter in constant memory, to
a temporary file the response streams). Every report needs ``report.view`` and covers only
the actor's stores (``stores_in_view``).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import IO

import xlsxwriter
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huiyuan.analytics.models import DailyFigure
from huiyuan.analytics.selectors import Range, range_of
from huiyuan.cards.models import Card
from huiyuan.checkout.models import Sale, SaleReturn
from huiyuan.commission.models import CommissionEntry
from huiyuan.core.clock import local_day_start
from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.replica import on_replica
from huiyuan.coupons.models import Coupon
from huiyuan.gifts.models import Redemption
from huiyuan.ledger.models import Account
from huiyuan.packages.models import PackageUse
from huiyuan.stores.models import Staff, Store
from huiyuan.stores.scope import stores_in_view
from huiyuan.wallet.models import Recharge, Refund

Row = list[object]
Scope = frozenset[int] | None


@dataclass(frozen=True)
class Column:
    title: Promise
    kind: str = "text"  # text, money (fen), int, time
    width: int = 14


@dataclass(frozen=True)
class Report:
    code: str
    title: Promise
    description: Promise
    columns: tuple[Column, ...]
    rows: Callable[[Range, Scope], Iterator[Row]]
    dated: bool = True  # False: a snapshot as of now (the date range does not apply)


def _span(r: Range, field: str = "created_at") -> Q:
    start, end = local_day_start(r.first), local_day_start(r.last + dt.timedelta(days=1))
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _scoped(qs: QuerySet, scope: Scope, field: str = "store_id") -> QuerySet:  # type: ignore[type-arg]
    return qs if scope is None else qs.filter(**{f"{field}__in": scope})


def _stores() -> dict[int, str]:
    return dict(Store.objects.values_list("pk", "name"))


def _staff() -> dict[int, str]:
    return {
        s.pk: s.display_name or s.username for s in Staff.objects.only("display_name", "username")
    }


def _time(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


# ----------------------------------------------------------------------------- reports


def _consumption(r: Range, scope: Scope) -> Iterator[Row]:
    stores, staff = _stores(), _staff()
    sales = _scoped(Sale.objects.filter(_span(r)), scope).select_related("member")
    for s in sales.order_by("created_at", "id").iterator(chunk_size=1000):
        yield [
            s.number,
            _time(s.created_at),
            stores.get(s.store_id, ""),
            staff.get(s.operator_id or 0, ""),
            s.member.code if s.member else "",
            s.get_status_display(),
            s.amount_fen,
            s.discount_fen,
            s.payable_fen,
            s.paid_principal_fen + s.paid_bonus_fen,
            s.points_offset_fen,
            s.paid_external_fen,
            s.external_method,
            s.returned_payable_fen,
            s.points_earned,
        ]


def _recharges(r: Range, scope: Scope) -> Iterator[Row]:
    stores = _stores()
    rows = _scoped(Recharge.objects.filter(_span(r)), scope).select_related("card", "package")
    for x in rows.order_by("created_at", "id").iterator(chunk_size=1000):
        yield [
            _time(x.created_at),
            stores.get(x.store_id, ""),
            x.card.number,
            x.get_method_display(),
            x.principal_fen,
            x.bonus_fen,
            x.package.name if x.package else "",
            x.batch,
        ]


def _refunds(r: Range, scope: Scope) -> Iterator[Row]:
    stores = _stores()
    refunds = _scoped(Refund.objects.filter(_span(r)), scope).select_related("card")
    for x in refunds.order_by("created_at", "id").iterator(chunk_size=1000):
        yield [
            _time(x.created_at),
            gettext("Stored-value refund"),
            x.card.number,
            stores.get(x.store_id, ""),
            x.get_method_display(),
            x.principal_fen,
            x.reason,
        ]
    returns = _scoped(SaleReturn.objects.filter(_span(r)), scope).select_related("sale")
    for y in returns.order_by("created_at", "id").iterator(chunk_size=1000):
        methods = "、".join(str(p.get("method", "")) for p in y.refund_payments or ())
        yield [
            _time(y.created_at),
            gettext("Return"),
            y.number,
            stores.get(y.store_id, ""),
            methods,
            y.payable_fen,
            y.reason,
        ]
    reversed_sales = _scoped(Sale.objects.filter(_span(r, "reversed_at")), scope)
    for z in reversed_sales.order_by("reversed_at", "id").iterator(chunk_size=1000):
        yield [
            _time(z.reversed_at),
            gettext("Reversal"),
            z.number,
            stores.get(z.store_id, ""),
            z.external_method,
            z.payable_fen,
            "",
        ]


def _daily(
    r: Range, scope: Scope, metrics: tuple[str, ...]
) -> Iterator[tuple[str, str, dict[str, int]]]:
    """Per day and store (in order): each metric's amount, and its count as ``metric#``."""
    stores = _stores()
    rows = (
        _scoped(
            DailyFigure.objects.filter(day__gte=r.first, day__lte=r.last, store_id__gte=0), scope
        )
        .filter(metric__in=metrics)
        .values("day", "store_id", "metric")
        .annotate(c=Sum("count"), a=Sum("amount"))
        .order_by("day", "store_id")
    )
    table: dict[tuple[dt.date, int], dict[str, int]] = {}
    for row in rows:
        cell = table.setdefault((row["day"], row["store_id"]), {})
        cell[row["metric"]] = int(row["a"] or 0)
        cell[row["metric"] + "#"] = int(row["c"] or 0)
    for (day, store), cell in sorted(table.items()):
        yield day.isoformat(), stores.get(store, gettext("Head office")), cell


def _summary(r: Range, scope: Scope) -> Iterator[Row]:
    metrics = ("sales", "reversals", "returns", "recharges", "recharge_bonus", "refunds")
    for day, store, c in _daily(r, scope, (*metrics, "members_new")):
        net = c.get("sales", 0) - c.get("reversals", 0) - c.get("returns", 0)
        count = c.get("sales#", 0) - c.get("reversals#", 0)
        yield [day, store, count, net, *(c.get(m, 0) for m in metrics), c.get("members_new#", 0)]


def _points(r: Range, scope: Scope) -> Iterator[Row]:
    metrics = ("points_issued", "points_redeemed", "points_expired", "points_adjusted")
    for day, store, c in _daily(r, scope, metrics):
        yield [day, store, *(c.get(m, 0) for m in metrics)]


def _coupons(r: Range, scope: Scope) -> Iterator[Row]:
    stores = _stores()
    rows = _scoped(
        Coupon.objects.filter(_span(r, "used_at"), status=Coupon.Status.USED),
        scope,
        "used_store_id",
    ).select_related("template", "member")
    for c in rows.order_by("used_at", "id").iterator(chunk_size=1000):
        yield [
            _time(c.used_at),
            stores.get(c.used_store_id or 0, ""),
            c.code,
            c.template.name,
            c.member.code,
            c.discount_fen,
            c.sale_payable_fen,
        ]


def _gifts(r: Range, scope: Scope) -> Iterator[Row]:
    stores = _stores()
    rows = _scoped(Redemption.objects.filter(_span(r)), scope).select_related("gift")
    for g in rows.order_by("created_at", "id").iterator(chunk_size=1000):
        yield [
            _time(g.created_at),
            stores.get(g.store_id or 0, ""),
            g.gift.name,
            g.get_channel_display(),
            g.quantity,
            g.points,
            g.cash_fen,
            g.get_status_display(),
        ]


def _count_cards(r: Range, scope: Scope) -> Iterator[Row]:
    stores = _stores()
    rows = _scoped(PackageUse.objects.filter(_span(r)), scope).select_related(
        "package", "item", "member"
    )
    for u in rows.order_by("created_at", "id").iterator(chunk_size=1000):
        yield [
            _time(u.created_at),
            stores.get(u.store_id, ""),
            u.package.code,
            u.package.name,
            str(u.item),
            u.get_kind_display(),
            u.member.code if u.member else "",
            u.remaining_after if u.remaining_after is not None else "",
        ]


def _liability(r: Range, scope: Scope) -> Iterator[Row]:
    """Now, per home store of the cards: stored value and points the chain owes."""
    stores = _stores()
    accounts = Account.objects.filter(
        member_side=True, kind__in=[Account.Kind.PRINCIPAL, Account.Kind.BONUS, Account.Kind.POINTS]
    )
    card_store = dict(_scoped(Card.objects.all(), scope).values_list("pk", "store_id"))
    table: dict[int, dict[str, int]] = {}
    rows = accounts.filter(card_id__in=list(card_store)) if scope is not None else accounts
    for card_id, kind, balance in rows.values_list("card_id", "kind", "balance").iterator():
        store = card_store.get(card_id)
        if store is None:
            continue
        cell = table.setdefault(store, {})
        cell[kind] = cell.get(kind, 0) + balance
    for store, cell in sorted(table.items(), key=lambda kv: stores.get(kv[0], "")):
        yield [
            stores.get(store, ""),
            cell.get(Account.Kind.PRINCIPAL, 0),
            cell.get(Account.Kind.BONUS, 0),
            cell.get(Account.Kind.POINTS, 0),
        ]


def _commission(r: Range, scope: Scope) -> Iterator[Row]:
    stores, staff = _stores(), _staff()
    rows = _scoped(
        CommissionEntry.objects.filter(business_date__gte=r.first, business_date__lte=r.last), scope
    )
    grouped = (
        rows.values("staff_id", "store_id", "source")
        .annotate(a=Sum("amount_fen"), b=Sum("base_fen"))
        .order_by("store_id", "staff_id", "source")
    )
    for row in grouped:
        yield [
            stores.get(row["store_id"], ""),
            staff.get(row["staff_id"], ""),
            row["source"],
            int(row["b"] or 0),
            int(row["a"] or 0),
        ]


C = Column
REPORTS: dict[str, Report] = {
    r.code: r
    for r in (
        Report(
            "summary",
            _("Daily business summary"),
            _(
                "Per day and store: sales less reversals and returns, recharges, refunds, new members."
            ),
            (
                C(_("Date"), width=12),
                C(_("Store")),
                C(_("Sales (count)"), "int"),
                C(_("Net sales"), "money"),
                C(_("Sales"), "money"),
                C(_("Reversals"), "money"),
                C(_("Returns"), "money"),
                C(_("Recharges"), "money"),
                C(_("Bonus granted"), "money"),
                C(_("Refunds"), "money"),
                C(_("New members"), "int"),
            ),
            _summary,
        ),
        Report(
            "consumption",
            _("Consumption"),
            _("Every sale with how it was paid, its status and what was returned."),
            (
                C(_("Receipt number"), width=24),
                C(_("Time"), "time", 19),
                C(_("Store")),
                C(_("Cashier")),
                C(_("Member number")),
                C(_("Status"), width=10),
                C(_("List amount"), "money"),
                C(_("Discount"), "money"),
                C(_("Payable"), "money"),
                C(_("Stored value"), "money"),
                C(_("Points offset"), "money"),
                C(_("External"), "money"),
                C(_("External method")),
                C(_("Returned"), "money"),
                C(_("Points earned"), "int"),
            ),
            _consumption,
        ),
        Report(
            "recharge",
            _("Recharges"),
            _("Every recharge: principal, bonus, payment method and package."),
            (
                C(_("Time"), "time", 19),
                C(_("Store")),
                C(_("Card number"), width=20),
                C(_("Payment method")),
                C(_("Principal"), "money"),
                C(_("Bonus"), "money"),
                C(_("Package")),
                C(_("Batch")),
            ),
            _recharges,
        ),
        Report(
            "refunds",
            _("Refunds, returns and reversals"),
            _("Stored-value refunds, returned goods and reversed sales."),
            (
                C(_("Time"), "time", 19),
                C(_("Kind")),
                C(_("Number"), width=24),
                C(_("Store")),
                C(_("Payment method")),
                C(_("Amount"), "money"),
                C(_("Reason"), width=30),
            ),
            _refunds,
        ),
        Report(
            "points",
            _("Points"),
            _("Per day and store: points issued, redeemed, expired and adjusted by hand."),
            (
                C(_("Date"), width=12),
                C(_("Store")),
                C(_("Issued"), "int"),
                C(_("Redeemed"), "int"),
                C(_("Expired"), "int"),
                C(_("Adjusted"), "int"),
            ),
            _points,
        ),
        Report(
            "coupons",
            _("Coupons used"),
            _("Coupons used in sales, with the discount they gave and the sale they drove."),
            (
                C(_("Time"), "time", 19),
                C(_("Store")),
                C(_("Coupon code")),
                C(_("Coupon"), width=20),
                C(_("Member number")),
                C(_("Discount"), "money"),
                C(_("Sale amount"), "money"),
            ),
            _coupons,
        ),
        Report(
            "gifts",
            _("Gift redemptions"),
            _("Gifts redeemed for points (and cash), their status."),
            (
                C(_("Time"), "time", 19),
                C(_("Store")),
                C(_("Gift"), width=20),
                C(_("Channel")),
                C(_("Quantity"), "int"),
                C(_("Points"), "int"),
                C(_("Cash"), "money"),
                C(_("Status")),
            ),
            _gifts,
        ),
        Report(
            "count_cards",
            _("Count cards"),
            _("Every visit used on a count card or package, and every undo."),
            (
                C(_("Time"), "time", 19),
                C(_("Store")),
                C(_("Package code")),
                C(_("Package"), width=20),
                C(_("Item"), width=20),
                C(_("Kind")),
                C(_("Member number")),
                C(_("Remaining"), "int"),
            ),
            _count_cards,
        ),
        Report(
            "liability",
            _("Liability"),
            _("Now: stored value and points held for members, by the store that issued the card."),
            (
                C(_("Store")),
                C(_("Principal"), "money"),
                C(_("Bonus"), "money"),
                C(_("Points"), "int"),
            ),
            _liability,
            dated=False,
        ),
        Report(
            "commission",
            _("Commission"),
            _("Per store, staff member and source: the base and the commission earned."),
            (
                C(_("Store")),
                C(_("Staff")),
                C(_("Source")),
                C(_("Base"), "money"),
                C(_("Commission"), "money"),
            ),
            _commission,
        ),
    )
}


def report_get(code: str) -> Report:
    report = REPORTS.get(code)
    if report is None:
        raise NotFound(_("No such report."), code="report_not_found")
    return report


@on_replica
def report_rows(
    *,
    actor: Actor,
    code: str,
    first: dt.date | None = None,
    last: dt.date | None = None,
    store_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Row]:
    """A page of the report's rows (for the screen and the API)."""
    require(actor, Perm.REPORT_VIEW)
    report = report_get(code)
    scope = stores_in_view(actor, store_id)
    rows = report.rows(range_of(first, last), scope)
    stop = None if limit is None else offset + limit
    return list(islice(rows, offset, stop))


def money(fen: object) -> str:
    return f"{Decimal(int(fen)) / 100:,.2f}" if isinstance(fen, int) else str(fen)  # type: ignore[arg-type]


@on_replica
def workbook_write(
    *,
    actor: Actor,
    code: str,
    first: dt.date | None = None,
    last: dt.date | None = None,
    store_id: int | None = None,
) -> IO[bytes]:
    """The report as an .xlsx opened for reading (its name already unlinked): written row by
    row in constant memory; money as numbers in yuan."""
    require(actor, Perm.REPORT_VIEW)
    report = report_get(code)
    scope = stores_in_view(actor, store_id)
    r = range_of(first, last)
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix=f"huiyuan-{code}-")
    os.close(handle)
    try:
        book = xlsxwriter.Workbook(path, {"constant_memory": True, "in_memory": False})
        sheet = book.add_worksheet(str(report.title)[:31])
        head = book.add_format({"bold": True, "bg_color": "#E8EEF9", "border": 1})
        yuan = book.add_format({"num_format": "#,##0.00"})
        title = book.add_format({"bold": True, "font_size": 13})
        sheet.write_string(0, 0, str(report.title), title)
        period = (
            f"{r.first} – {r.last}"
            if report.dated
            else gettext("As of %(now)s") % {"now": _time(timezone.now())}
        )
        sheet.write_string(1, 0, period)
        for col, column in enumerate(report.columns):
            sheet.set_column(col, col, column.width)
            sheet.write_string(3, col, str(column.title), head)
        for n, row in enumerate(report.rows(r, scope), start=4):
            for col, value in enumerate(row):
                kind = report.columns[col].kind
                if kind == "money" and isinstance(value, int):
                    sheet.write_number(n, col, Decimal(value) / 100, yuan)  # type: ignore[call-overload]
                elif isinstance(value, int) and not isinstance(value, bool):
                    sheet.write_number(n, col, value)
                else:
                    sheet.write_string(n, col, str(value))
        book.close()
        return open(path, "rb")
    finally:
        os.unlink(path)


def export_filename(code: str, first: dt.date | None, last: dt.date | None) -> str:
    r = range_of(first, last)
    return f"huiyuan-{code}-{r.first:%Y%m%d}-{r.last:%Y%m%d}.xlsx"
