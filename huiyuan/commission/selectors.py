"""The monthly commission report: per staff member and store, by source."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from huiyuan.commission.models import CommissionEntry, CommissionRule
from huiyuan.core.errors import ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.stores.models import Staff, Store
from huiyuan.stores.scope import stores_in_view


@dataclass(frozen=True)
class CommissionLine:
    staff_id: int
    staff_name: str
    role: str
    store_id: int
    store_name: str
    sales_fen: int  # credits for sales
    returns_fen: int  # taken back by returns and reversals (negative or 0)
    recharges_fen: int
    entries: int

    @property
    def total_fen(self) -> int:
        return self.sales_fen + self.returns_fen + self.recharges_fen


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """``"2026-11"`` → its first and last local date."""
    try:
        first = dt.date.fromisoformat(f"{month}-01")
    except (TypeError, ValueError):
        raise ValidationFailed(
            _("Give the month as YYYY-MM."), code="invalid_month", field="month"
        ) from None
    if not 2000 <= first.year <= 2100:
        raise ValidationFailed(_("Give the month as YYYY-MM."), code="invalid_month", field="month")
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)


def commission_report(
    *, actor: Actor, month: str, store_id: int | None = None
) -> list[CommissionLine]:
    """Per staff member and store, the month's commission by the store's local dates."""
    require(actor, Perm.REPORT_VIEW)
    first, last = month_bounds(month)
    in_view = stores_in_view(actor, store_id)
    rows = CommissionEntry.objects.filter(business_date__gte=first, business_date__lte=last)
    if in_view is not None:
        rows = rows.filter(store_id__in=in_view)
    grouped = (
        rows.values("staff_id", "store_id", "source")
        .annotate(fen=Sum("amount_fen"), n=Count("id"))
        .order_by()
    )
    acc: dict[tuple[int, int], dict[str, int]] = {}
    for row in grouped:
        slot = acc.setdefault(
            (row["staff_id"], row["store_id"]),
            {"sale": 0, "back": 0, "recharge": 0, "n": 0},
        )
        fen = int(row["fen"] or 0)
        if row["source"] == CommissionEntry.Source.SALE:
            slot["sale"] += fen
        elif row["source"] == CommissionEntry.Source.RECHARGE:
            slot["recharge"] += fen
        else:
            slot["back"] += fen
        slot["n"] += int(row["n"])
    staff = {s.pk: s for s in Staff.objects.filter(pk__in={k[0] for k in acc})}
    stores = {s.pk: s for s in Store.objects.filter(pk__in={k[1] for k in acc})}
    lines = [
        CommissionLine(
            staff_id=staff_id,
            staff_name=str(staff[staff_id]),
            role=staff[staff_id].role,
            store_id=store,
            store_name=stores[store].name,
            sales_fen=v["sale"],
            returns_fen=v["back"],
            recharges_fen=v["recharge"],
            entries=v["n"],
        )
        for (staff_id, store), v in acc.items()
    ]
    return sorted(lines, key=lambda line: (stores[line.store_id].code, line.staff_name))


def commission_rules(*, actor: Actor) -> list[CommissionRule]:
    require(actor, Perm.REPORT_VIEW)
    return list(
        CommissionRule.objects.filter(is_active=True).order_by("kind", "category_code", "role")
    )
