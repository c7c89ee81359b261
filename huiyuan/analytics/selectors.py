"""Dashboard figures (An1) from the daily roll-ups, and the cashier's own day.

Every figure is limited to the stores in view (``stores_in_view``): a store manager sees
its stores only, head office the chain or one store it picks. Reads go to the replica when
one is configured (``on_replica``) — except the cashier's day, which must show the sale
just made and so reads the primary.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from huiyuan.activities.models import Activity
from huiyuan.analytics.models import DailyFigure
from huiyuan.analytics.rollups import (
    CHAIN,
    POINTS_OFFSET,
    STORED_VALUE,
    active_members_count,
    return_payments,
    sale_payments,
)
from huiyuan.cards.models import Card
from huiyuan.checkout.models import Sale, SaleReturn
from huiyuan.core.clock import local_day_bounds, local_today
from huiyuan.core.errors import ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.replica import on_replica
from huiyuan.ledger.models import Account
from huiyuan.members.models import Member
from huiyuan.stores.scope import stores_in_view
from huiyuan.tiers.models import MemberTier, Tier
from huiyuan.wallet.models import Recharge

MAX_DAYS = 732  # a range of at most two years

# Sums shown as cards, with the previous period and last year beside them.
TOTAL_METRICS = (
    "sales",
    "reversals",
    "returns",
    "recharges",
    "recharge_bonus",
    "refunds",
    "points_issued",
    "points_redeemed",
    "points_expired",
    "points_adjusted",
    "members_new",
    "coupons_issued",
    "coupons_used",
    "activity_seated",
    "activity_attended",
)
# Of these, the ones whose figure is a count (of members, coupons, participants).
COUNTED = ("members_new", "coupons_issued", "coupons_used", "activity_seated", "activity_attended")
NOT_MONEY = (STORED_VALUE, POINTS_OFFSET)


@dataclass(frozen=True)
class Range:
    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Range:
        """The period of the same length just before."""
        return Range(self.first - dt.timedelta(days=self.days), self.first - dt.timedelta(days=1))

    def last_year(self) -> Range:
        return Range(_year_back(self.first), _year_back(self.last))


def _year_back(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def range_of(first: dt.date | None, last: dt.date | None) -> Range:
    """The asked range (default: this month up to today), checked."""
    today = local_today()
    last = last or today
    first = first or last.replace(day=1)
    if first > last:
        raise ValidationFailed(
            _("The start date is after the end date."), code="invalid_range", field="date_from"
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed(
            _("Choose a range of at most two years."), code="range_too_long", field="date_from"
        )
    return Range(first, last)


def _figures(store_ids: frozenset[int] | None) -> QuerySet[DailyFigure]:
    """The roll-up rows of the stores in view: the chain's own rows for every store."""
    if store_ids is None:
        return DailyFigure.objects.filter(store_id=CHAIN)
    return DailyFigure.objects.filter(store_id__in=store_ids)


def _store_figures(store_ids: frozenset[int] | None) -> QuerySet[DailyFigure]:
    """Per-store rows (never the chain's), for a breakdown by store."""
    if store_ids is None:
        return DailyFigure.objects.filter(store_id__gte=0)
    return DailyFigure.objects.filter(store_id__in=store_ids)


@dataclass(frozen=True)
class Totals:
    count: dict[str, int] = field(default_factory=dict)
    amount: dict[str, int] = field(default_factory=dict)

    def net_sales(self) -> int:
        a = self.amount
        return a.get("sales", 0) - a.get("reversals", 0) - a.get("returns", 0)

    def net_sales_count(self) -> int:
        c = self.count
        return c.get("sales", 0) - c.get("reversals", 0)


def _totals_of(store_ids: frozenset[int] | None, ranges: list[Range]) -> list[Totals]:
    """The sums of ``TOTAL_METRICS`` over each range, in one query."""
    spans = [Q(day__gte=r.first, day__lte=r.last) for r in ranges]
    either = spans[0]
    for span in spans[1:]:
        either |= span
    sums: dict[str, Sum] = {}
    for i, span in enumerate(spans):
        sums[f"c{i}"] = Sum("count", filter=span)
        sums[f"a{i}"] = Sum("amount", filter=span)
    rows = list(
        _figures(store_ids)
        .filter(either, metric__in=TOTAL_METRICS)
        .values("metric")
        .annotate(**sums)
        .order_by()
    )
    return [
        Totals(
            count={row["metric"]: int(row[f"c{i}"] or 0) for row in rows},
            amount={row["metric"]: int(row[f"a{i}"] or 0) for row in rows},
        )
        for i in range(len(ranges))
    ]


def _by_method_of(
    store_ids: frozenset[int] | None, ranges: list[Range]
) -> list[list[dict[str, object]]]:
    """Per payment method: sales paid, recharges, refunds (fen) and the money taken — for
    each range, in one query."""
    spans = [Q(day__gte=r.first, day__lte=r.last) for r in ranges]
    either = spans[0]
    for span in spans[1:]:
        either |= span
    rows = list(
        _figures(store_ids)
        .filter(either, metric__in=("pay", "recharge_pay", "refund_pay"))
        .values("metric", "dim")
        .annotate(**{f"a{i}": Sum("amount", filter=span) for i, span in enumerate(spans)})
        .order_by()
    )
    cols = {"pay": "pay", "recharge_pay": "recharge", "refund_pay": "refund"}
    out: list[list[dict[str, object]]] = []
    for i in range(len(ranges)):
        table: dict[str, dict[str, int]] = defaultdict(
            lambda: {"pay": 0, "recharge": 0, "refund": 0}
        )
        for row in rows:
            if row[f"a{i}"] is not None:
                table[row["dim"]][cols[row["metric"]]] += int(row[f"a{i}"])
        block = []
        for method, v in sorted(
            table.items(), key=lambda kv: -abs(kv[1]["pay"] + kv[1]["recharge"])
        ):
            money = method not in NOT_MONEY
            taken = v["pay"] + v["recharge"] - v["refund"] if money else 0
            block.append({"method": method, **v, "taken": taken, "is_money": money})
        out.append(block)
    return out


def _series(store_ids: frozenset[int] | None, r: Range) -> list[dict[str, object]]:
    """Per day of the range: net sales, recharges, refunds, returns (fen), new members."""
    metrics = ("sales", "reversals", "returns", "recharges", "refunds", "members_new")
    rows = (
        _figures(store_ids)
        .filter(metric__in=metrics, day__gte=r.first, day__lte=r.last)
        .values("day", "metric")
        .annotate(c=Sum("count"), a=Sum("amount"))
    )
    by_day: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        cell = by_day[row["day"]]
        if row["metric"] == "members_new":
            cell["members_new"] += int(row["c"] or 0)
        else:
            cell[row["metric"]] += int(row["a"] or 0)
    out = []
    day = r.first
    while day <= r.last:
        cell = by_day.get(day, {})
        out.append(
            {
                "day": day.isoformat(),
                "net_sales": cell.get("sales", 0)
                - cell.get("reversals", 0)
                - cell.get("returns", 0),
                "returns": cell.get("returns", 0) + cell.get("reversals", 0),
                "recharges": cell.get("recharges", 0),
                "refunds": cell.get("refunds", 0),
                "members_new": cell.get("members_new", 0),
            }
        )
        day += dt.timedelta(days=1)
    return out


def _month_start(day: dt.date, back: int = 0) -> dt.date:
    month = day.year * 12 + day.month - 1 - back
    return dt.date(month // 12, month % 12 + 1, 1)


def _members_monthly(store_ids: frozenset[int] | None, last: dt.date) -> list[dict[str, object]]:
    """New members per month for the 12 months up to ``last``, each with month-on-month and
    year-on-year change (whole per cent, None when the base is 0)."""
    first = _month_start(last, 24)
    rows = (
        _figures(store_ids)
        .filter(metric="members_new", day__gte=first, day__lte=last)
        .values("day")
        .annotate(c=Sum("count"))
    )
    months: dict[str, int] = defaultdict(int)
    for row in rows:
        months[row["day"].strftime("%Y-%m")] += int(row["c"] or 0)

    def pct(now: int, base: int) -> int | None:
        return None if base == 0 else round((now - base) * 100 / base)

    out = []
    for back in range(11, -1, -1):
        m = _month_start(last, back)
        key = m.strftime("%Y-%m")
        now = months.get(key, 0)
        prev = months.get(_month_start(m, 1).strftime("%Y-%m"), 0)
        year = months.get(_month_start(m, 12).strftime("%Y-%m"), 0)
        out.append({"month": key, "count": now, "mom": pct(now, prev), "yoy": pct(now, year)})
    return out


def _members_by_store(store_ids: frozenset[int] | None, r: Range) -> dict[int, int]:
    """New members per store in the range: whole months from the monthly rows, the days
    before the first whole month and after the last from the daily ones."""
    rows = _store_figures(store_ids)
    first_month = r.first if r.first.day == 1 else _month_start(r.first, -1)
    after = r.last + dt.timedelta(days=1)
    end_month = after if after.day == 1 else after.replace(day=1)  # first day not whole
    counts: dict[int, int] = defaultdict(int)
    if first_month < end_month:
        wanted = Q(metric="members_month", day__gte=first_month, day__lt=end_month) | Q(
            Q(day__gte=r.first, day__lt=first_month) | Q(day__gte=end_month, day__lte=r.last),
            metric="members_new",
        )
    else:
        wanted = Q(metric="members_new", day__gte=r.first, day__lte=r.last)
    for row in rows.filter(wanted).values("store_id").annotate(c=Sum("count")).order_by():
        counts[int(row["store_id"])] += int(row["c"] or 0)
    return counts


BREAKDOWNS = ("members_new", "members_staff", "activity_seated", "activity_attended")


def _breakdowns(store_ids: frozenset[int] | None, r: Range) -> dict[str, dict[str, int]]:
    """Per metric of ``BREAKDOWNS``, the counts in the range by dimension, in one query."""
    rows = (
        _figures(store_ids)
        .filter(metric__in=BREAKDOWNS, day__gte=r.first, day__lte=r.last)
        .values("metric", "dim")
        .annotate(c=Sum("count"))
        .order_by()
    )
    out: dict[str, dict[str, int]] = {m: {} for m in BREAKDOWNS}
    for row in rows:
        out[row["metric"]][row["dim"]] = int(row["c"] or 0)
    return out


def _ranked(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _members_by(
    store_ids: frozenset[int] | None, r: Range, split: dict[str, dict[str, int]]
) -> dict[str, list[dict[str, object]]]:
    by_store = sorted(_members_by_store(store_ids, r).items(), key=lambda kv: -kv[1])
    return {
        "channel": [{"key": k, "count": c} for k, c in _ranked(split["members_new"])],
        "store": [{"key": str(store), "count": count} for store, count in by_store if count],
        "staff": [{"key": k, "count": c} for k, c in _ranked(split["members_staff"])[:10]],
    }


def _cards_in(store_ids: frozenset[int] | None) -> QuerySet[Card]:
    cards = Card.objects.all()
    if store_ids is not None:
        cards = cards.filter(store_id__in=store_ids)
    return cards


def _balances(store_ids: frozenset[int] | None) -> dict[str, int]:
    """Right now, on the cards of the stores in view: stored value (principal, bonus) and
    points outstanding — what the chain owes its members."""
    accounts = Account.objects.filter(
        member_side=True, kind__in=[Account.Kind.PRINCIPAL, Account.Kind.BONUS, Account.Kind.POINTS]
    )
    if store_ids is not None:
        accounts = accounts.filter(card_id__in=_cards_in(store_ids).values("pk"))
    sums = dict(accounts.values("kind").annotate(s=Sum("balance")).values_list("kind", "s"))
    return {
        "principal": int(sums.get(Account.Kind.PRINCIPAL) or 0),
        "bonus": int(sums.get(Account.Kind.BONUS) or 0),
        "points": int(sums.get(Account.Kind.POINTS) or 0),
    }


def _active_members(store_ids: frozenset[int] | None, r: Range) -> int:
    """Members with at least one sale in the range (that was not reversed) at these stores:
    the distinct members of the ``MemberDay`` roll-up, each counted once over the range."""
    return active_members_count(store_ids, r.first, r.last)


def _activities(split: dict[str, dict[str, int]]) -> list[dict[str, object]]:
    """Per activity with movement in the range: participants seated (less those who gave
    their seat up) and attendances, the ten with most participants."""
    table: dict[int, dict[str, int]] = defaultdict(lambda: {"seated": 0, "attended": 0})
    for metric, col in (("activity_seated", "seated"), ("activity_attended", "attended")):
        for dim, count in split[metric].items():
            table[int(dim)][col] += count
    if not any(v["seated"] or v["attended"] for v in table.values()):
        return []
    names = dict(Activity.objects.filter(pk__in=list(table)).values_list("pk", "name"))
    ranked = sorted(table.items(), key=lambda kv: (-kv[1]["seated"], -kv[1]["attended"], kv[0]))
    return [
        {"activity_id": pk, "name": names.get(pk, str(pk)), **v}
        for pk, v in ranked[:10]
        if v["seated"] or v["attended"]
    ]


def _tiers(store_ids: frozenset[int] | None) -> list[dict[str, object]]:
    """Active members per tier, lowest tier first. A member without a ``MemberTier`` row
    (never moved up) is in the lowest tier, as the member list counts them too."""
    members = Member.objects.filter(status=Member.Status.ACTIVE)
    if store_ids is not None:
        members = members.filter(home_store_id__in=store_ids)
    counts: dict[int, int] = dict(
        MemberTier.objects.filter(member__in=members)
        .values("tier_id")
        .annotate(c=Count("id"))
        .values_list("tier_id", "c")
        .order_by()
    )
    tiers = list(Tier.objects.order_by("level"))
    untiered = members.filter(tier_state__isnull=True).count()
    if tiers and untiered:
        counts[tiers[0].pk] = counts.get(tiers[0].pk, 0) + untiered
    return [{"key": t.name, "count": counts[t.pk]} for t in tiers if counts.get(t.pk)]


@on_replica
def dashboard(
    *,
    actor: Actor,
    first: dt.date | None = None,
    last: dt.date | None = None,
    store_id: int | None = None,
) -> dict[str, object]:
    """Everything the analytics dashboard shows for ``[first, last]`` (default: this month)
    at one store or every store in view. Amounts in fen, points as integers."""
    require(actor, Perm.REPORT_VIEW)
    store_ids = stores_in_view(actor, store_id)
    r = range_of(first, last)
    today = local_today()
    current, previous, last_year = _totals_of(store_ids, [r, r.previous(), r.last_year()])
    split = _breakdowns(store_ids, r)
    by_today, by_month, by_range = _by_method_of(
        store_ids, [Range(today, today), Range(today.replace(day=1), today), r]
    )

    def block(t: Totals) -> dict[str, int]:
        out = {m: t.amount.get(m, 0) for m in TOTAL_METRICS if m not in COUNTED}
        out.update({m: t.count.get(m, 0) for m in COUNTED})
        out["net_sales"] = t.net_sales()
        out["sales_count"] = t.net_sales_count()
        out["recharges_count"] = t.count.get("recharges", 0)
        out["coupon_discount"] = t.amount.get("coupons_used", 0)
        return out

    return {
        "range": {"first": r.first, "last": r.last},
        "previous": {"first": r.previous().first, "last": r.previous().last},
        "last_year": {"first": r.last_year().first, "last": r.last_year().last},
        "store_id": store_id,
        "current": block(current),
        "previous_totals": block(previous),
        "last_year_totals": block(last_year),
        "today_by_method": by_today,
        "month_by_method": by_month,
        "range_by_method": by_range,
        "series": _series(store_ids, r),
        "members_monthly": _members_monthly(store_ids, r.last),
        "members_by": _members_by(store_ids, r, split),
        "balances": _balances(store_ids),
        "active_members": _active_members(store_ids, r),
        "activities": _activities(split),
        "tiers": _tiers(store_ids),
    }


# -------------------------------------------------------------------- the cashier's day


@dataclass(frozen=True)
class CashierDay:
    day: dt.date
    sales_count: int
    sales_fen: int  # payable of the day's sales less those reversed
    reversed_count: int
    by_method: list[tuple[str, int]]  # external methods, stored value, points
    recharges_count: int
    recharges_fen: int
    recharge_bonus_fen: int
    recharge_by_method: list[tuple[str, int]]
    sales: list[Sale]
    recharges: list[Recharge]


def cashier_day(*, actor: Actor, day: dt.date | None = None) -> CashierDay:
    """The signed-in cashier's own sales and recharges of the day (today by default).

    Read from the primary: the sale made a second ago is on it."""
    require(actor, Perm.DASHBOARD_VIEW)
    day = day or local_today()
    staff_id = actor.staff.pk if actor.staff is not None else None
    start, end = local_day_bounds(day)
    sales = Sale.objects.filter(operator_id=staff_id, created_at__gte=start, created_at__lt=end)
    recharges = Recharge.objects.filter(
        operation__operator_id=staff_id, created_at__gte=start, created_at__lt=end
    )
    if staff_id is None:
        sales, recharges = sales.none(), recharges.none()
    kept = sales.exclude(status=Sale.Status.REVERSED)
    methods: dict[str, int] = defaultdict(int)
    for sale in kept.only(
        "payments",
        "paid_external_fen",
        "external_method",
        "paid_principal_fen",
        "paid_bonus_fen",
        "points_offset_fen",
    ):
        for method, amount in sale_payments(sale):
            methods[method] += amount
    for ret in SaleReturn.objects.filter(sale__in=kept):
        for method, amount in return_payments(ret):
            methods[method] -= amount
    r_methods = recharges.values("method").annotate(s=Sum("principal_fen")).order_by("-s")
    agg = recharges.aggregate(p=Sum("principal_fen"), b=Sum("bonus_fen"), n=Count("id"))
    return CashierDay(
        day=day,
        sales_count=kept.count(),
        sales_fen=int(kept.aggregate(s=Sum("payable_fen") - Sum("returned_payable_fen"))["s"] or 0),
        reversed_count=sales.filter(status=Sale.Status.REVERSED).count(),
        by_method=sorted(((m, a) for m, a in methods.items() if a), key=lambda kv: -kv[1]),
        recharges_count=int(agg["n"] or 0),
        recharges_fen=int(agg["p"] or 0),
        recharge_bonus_fen=int(agg["b"] or 0),
        recharge_by_method=[(str(row["method"]), int(row["s"] or 0)) for row in r_methods],
        sales=list(sales.select_related("member").order_by("-created_at")[:50]),
        recharges=list(recharges.select_related("card").order_by("-created_at")[:50]),
    )
