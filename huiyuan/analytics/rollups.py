"""Keeping the daily roll-ups: what one source contributes, adding it once, rebuilding.

A *source* is one business record that moves a figure, keyed so it is counted once:

=============  ===========================================  ==================================
key            record                                       figures (on its business date)
=============  ===========================================  ==================================
``sale:<id>``  a completed sale (``Sale.created_at``)       ``sales``, ``pay``/method
``rev:<id>``   that sale's reversal (``Sale.reversed_at``)  ``reversals``, ``pay``/method −
``ret:<id>``   a return (``SaleReturn``)                    ``returns``, ``pay``/method −
``rch:<id>``   a recharge (``Recharge``)                    ``recharges``, ``recharge_bonus``,
                                                            ``recharge_pay``/method
``rfd:<id>``   a stored-value refund (``Refund``)           ``refunds``, ``refund_pay``/method
``mem:<id>``   a new member (``Member.joined_at``)          ``members_new``/channel,
                                                            ``members_staff``/staff id,
                                                            ``members_month`` (on the 1st)
``op:<id>``    a ledger operation's points legs             ``points_issued``,
                                                            ``points_redeemed``,
                                                            ``points_expired``,
                                                            ``points_adjusted``
``cpi:<id>``   a coupon issued (member's home store)        ``coupons_issued``/channel
``cpu:<c>:<s>`` coupon ``c`` used on sale ``s``             ``coupons_used`` (discount given)
``cpr:<c>:<s>`` that use undone (the coupon restored),      ``coupons_used`` −, on the use's
               only if the use was counted                  day and store
``sgs:<id>``   an activity sign-up seated                   ``activity_seated``/activity id
``sgc:<id>``   a seated sign-up cancelled                   ``activity_seated`` −
``sga:<id>``   an attendance checked in                     ``activity_attended``/activity id
=============  ===========================================  ==================================

A sale and its reversal also refresh the buyer's ``MemberDay`` row (from the sales table,
so a refresh is exact however often it runs): the active members of a range are its
distinct members. A sale, its reversal and a return refresh the buyer's ``MemberStat`` row
(what RFM reads) the same way; ``member_stats_prepare`` sweeps in sales no event announced
and moves its window.

The subscriber (``subscribers.py``) applies the sources an event names; the daily sweep
applies ledger operations no event announces (the points expiry job); ``rollup_rebuild``
recomputes a date range from the source tables and the ledger with the very same
``contributions_*`` functions, so the two ways agree by construction and a test checks it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from huiyuan.activities.models import Signup
from huiyuan.analytics.models import (
    ActiveCount,
    DailyFigure,
    MemberDay,
    MemberStat,
    MemberStatState,
    RollupSource,
)
from huiyuan.cards.models import Card
from huiyuan.checkout.models import Sale, SaleLine, SaleReturn
from huiyuan.core.clock import business_zone, local_date, local_day_bounds, local_day_start
from huiyuan.coupons.models import Coupon
from huiyuan.ledger.models import Account, Entry
from huiyuan.members.models import Member
from huiyuan.stores.models import Store
from huiyuan.wallet.models import Recharge, Refund

# Every figure is also added to this pseudo-store: the chain's total, so a chain-wide
# dashboard reads one row per day and metric instead of one per store.
CHAIN = -1

# Metrics dated otherwise than their source (the 1st of its month): a rebuild derives them
# from the daily rows.
DERIVED = ("members_month",)

# Payment "methods" of a sale that are not money received.
STORED_VALUE = "stored_value"
POINTS_OFFSET = "points"

POINT_KINDS = {
    Account.Kind.STORE_POINTS_ISSUED: ("points_issued", -1),
    Account.Kind.POINTS_ADJUSTMENTS: ("points_adjusted", -1),
    Account.Kind.STORE_POINTS_REDEEMED: ("points_redeemed", 1),
    Account.Kind.POINTS_EXPIRED: ("points_expired", 1),
}


@dataclass(frozen=True)
class Part:
    """One increment of one figure."""

    day: dt.date
    store_id: int
    metric: str
    dim: str = ""
    count: int = 0
    amount: int = 0


@dataclass(frozen=True)
class Visit:
    """A member's day of purchase at a store, to refresh from the sales table."""

    member_id: int
    store_id: int
    day: dt.date


@dataclass(frozen=True)
class Source:
    key: str
    day: dt.date
    parts: tuple[Part, ...]
    visits: tuple[Visit, ...] = ()
    members: tuple[int, ...] = ()  # whose ``MemberStat`` to refresh


# --------------------------------------------------------------------- contributions


def sale_payments(sale: Sale) -> list[tuple[str, int]]:
    """How ``sale`` was paid: each external method, the card's balance, points."""
    out: list[tuple[str, int]] = []
    if sale.payments:
        out += [(str(p["method"]), int(p["amount_fen"])) for p in sale.payments]
    elif sale.paid_external_fen:
        out.append((sale.external_method or "other", sale.paid_external_fen))
    if sale.paid_principal_fen + sale.paid_bonus_fen:
        out.append((STORED_VALUE, sale.paid_principal_fen + sale.paid_bonus_fen))
    if sale.points_offset_fen:
        out.append((POINTS_OFFSET, sale.points_offset_fen))
    return out


def _pay_parts(day: dt.date, store: int, pays: Iterable[tuple[str, int]], sign: int) -> list[Part]:
    totals: dict[str, int] = defaultdict(int)
    for method, amount in pays:
        totals[method[:24]] += amount
    return [Part(day, store, "pay", m, 0, sign * a) for m, a in totals.items() if a]


def _visits(sale: Sale) -> tuple[Visit, ...]:
    if sale.member_id is None:
        return ()
    return (Visit(sale.member_id, sale.store_id, local_date(sale.created_at)),)


def _buyer(sale: Sale) -> tuple[int, ...]:
    return () if sale.member_id is None else (sale.member_id,)


def sale_source(sale: Sale) -> Source:
    day = local_date(sale.created_at)
    parts = [Part(day, sale.store_id, "sales", "", 1, sale.payable_fen)]
    parts += _pay_parts(day, sale.store_id, sale_payments(sale), 1)
    return Source(f"sale:{sale.pk}", day, tuple(parts), _visits(sale), _buyer(sale))


def reversal_source(sale: Sale) -> Source | None:
    if sale.reversed_at is None:
        return None
    day = local_date(sale.reversed_at)
    parts = [Part(day, sale.store_id, "reversals", "", 1, sale.payable_fen)]
    parts += _pay_parts(day, sale.store_id, sale_payments(sale), -1)
    # The member's day of purchase is the sale's, not the reversal's.
    return Source(f"rev:{sale.pk}", day, tuple(parts), _visits(sale), _buyer(sale))


def return_payments(ret: SaleReturn) -> list[tuple[str, int]]:
    """What a return gave back, per method (as ``sale_payments``)."""
    pays: list[tuple[str, int]] = [
        (str(p["method"]), int(p["amount_fen"])) for p in ret.refund_payments or ()
    ]
    if not ret.refund_payments and ret.external_fen:
        pays.append(("other", ret.external_fen))
    if ret.principal_fen + ret.bonus_fen:
        pays.append((STORED_VALUE, ret.principal_fen + ret.bonus_fen))
    if ret.points_offset_fen:
        pays.append((POINTS_OFFSET, ret.points_offset_fen))
    return pays


def return_source(ret: SaleReturn) -> Source:
    day = local_date(ret.created_at)
    parts = [Part(day, ret.store_id, "returns", "", 1, ret.payable_fen)]
    parts += _pay_parts(day, ret.store_id, return_payments(ret), -1)
    # The sale's net amount (and, wholly returned, its being a purchase) changed.
    return Source(f"ret:{ret.pk}", day, tuple(parts), (), _buyer(ret.sale))


def recharge_source(row: Recharge) -> Source:
    day = local_date(row.created_at)
    s = row.store_id
    parts = [
        Part(day, s, "recharges", "", 1, row.principal_fen),
        Part(day, s, "recharge_pay", row.method, 1, row.principal_fen),
    ]
    if row.bonus_fen:
        parts.append(Part(day, s, "recharge_bonus", "", 1, row.bonus_fen))
    return Source(f"rch:{row.pk}", day, tuple(parts))


def refund_source(row: Refund) -> Source:
    day = local_date(row.created_at)
    s = row.store_id
    parts = (
        Part(day, s, "refunds", "", 1, row.principal_fen),
        Part(day, s, "refund_pay", row.method, 1, row.principal_fen),
    )
    return Source(f"rfd:{row.pk}", day, parts)


def member_source(member: Member) -> Source:
    day = local_date(member.joined_at)
    s = member.home_store_id
    staff = str(member.registered_by_id or "")
    parts = (
        Part(day, s, "members_new", member.channel, 1, 0),
        Part(day, s, "members_staff", staff, 1, 0),
        # Also per month (dated the 1st): the breakdown by store of a long range reads
        # twelve rows a store for a year, not 365.
        Part(day.replace(day=1), s, "members_month", "", 1, 0),
    )
    return Source(f"mem:{member.pk}", day, parts)


def coupon_issued_source(coupon: Coupon) -> Source:
    """A coupon issued, at its member's home store (the record keeps no store)."""
    day = local_date(coupon.issued_at)
    store = coupon.member.home_store_id
    part = Part(day, store, "coupons_issued", coupon.channel[:24], 1, 0)
    return Source(f"cpi:{coupon.pk}", day, (part,))


def coupon_used_source(coupon: Coupon) -> Source | None:
    """The coupon's standing use: on the sale's day, at the sale's store, with the discount
    it gave. None when the coupon is not (or no longer) used."""
    if coupon.status != Coupon.Status.USED or coupon.sale_id is None or coupon.used_at is None:
        return None
    day = local_date(coupon.used_at)
    part = Part(day, coupon.used_store_id or 0, "coupons_used", "", 1, coupon.discount_fen)
    return Source(f"cpu:{coupon.pk}:{coupon.sale_id}", day, (part,))


def coupon_discount_on(coupon_id: int, sale_id: int) -> int:
    """The discount ``coupon_id`` gave on sale ``sale_id``, from the sale's stored lines."""
    total = 0
    for adjustments in SaleLine.objects.filter(sale_id=sale_id).values_list(
        "adjustments", flat=True
    ):
        for adj in adjustments or ():
            rule = adj.get("rule", {})
            if rule.get("kind") == "coupon" and rule.get("id") == coupon_id:
                total += int(adj["amount_fen"])
    return total


def coupon_restored_source(coupon_id: int, sale_id: int) -> Source | None:
    """Undo the counted use of ``coupon_id`` on ``sale_id`` (the coupon was restored by a
    reversal or a return): dated like the use, so the use's day shows the uses that stand.
    None when that use was never counted (a rebuild after the restoration left it out)."""
    used = RollupSource.objects.filter(key=f"cpu:{coupon_id}:{sale_id}").first()
    sale = Sale.objects.filter(pk=sale_id).only("store_id").first()
    if used is None or sale is None:
        return None
    discount = coupon_discount_on(coupon_id, sale_id)
    part = Part(used.day, sale.store_id, "coupons_used", "", -1, -discount)
    return Source(f"cpr:{coupon_id}:{sale_id}", used.day, (part,))


def _activity_part(day: dt.date, signup: Signup, metric: str, count: int) -> Part:
    return Part(day, signup.store_id or 0, metric, str(signup.activity_id), count, 0)


def signup_seated_source(signup: Signup) -> Source | None:
    if signup.seated_at is None:
        return None
    day = local_date(signup.seated_at)
    return Source(f"sgs:{signup.pk}", day, (_activity_part(day, signup, "activity_seated", 1),))


def signup_cancelled_source(signup: Signup) -> Source | None:
    """A seated sign-up given up: one participant fewer (a waiting one never counted)."""
    if signup.cancelled_at is None or signup.seated_at is None:
        return None
    day = local_date(signup.cancelled_at)
    return Source(f"sgc:{signup.pk}", day, (_activity_part(day, signup, "activity_seated", -1),))


def signup_attended_source(signup: Signup) -> Source | None:
    if signup.attended_at is None:
        return None
    day = local_date(signup.attended_at)
    return Source(f"sga:{signup.pk}", day, (_activity_part(day, signup, "activity_attended", 1),))


def _points_sources(entries: Iterable[Entry]) -> list[Source]:
    """The points legs on store and system accounts, grouped by their operation.

    A store account's leg counts at its store; a chain-wide sink's (expiry, adjustment) at
    the home store of the card on the other leg."""
    ops: dict[int, list[Part]] = defaultdict(list)
    days: dict[int, dt.date] = {}
    for entry in entries:
        metric, sign = POINT_KINDS[Account.Kind(entry.account.kind)]
        store = entry.account.store_id
        if store is None:
            store = _card_store(entry)
        day = local_date(entry.created_at)
        op_id = entry.transfer.operation_id
        days.setdefault(op_id, day)
        ops[op_id].append(Part(days[op_id], store or 0, metric, "", 0, sign * entry.delta))
    out = []
    for op_id, parts in ops.items():
        merged: dict[tuple[int, str], int] = defaultdict(int)
        for p in parts:
            merged[(p.store_id, p.metric)] += p.amount
        out.append(
            Source(
                f"op:{op_id}",
                days[op_id],
                tuple(Part(days[op_id], st, m, "", 0, a) for (st, m), a in merged.items() if a),
            )
        )
    return out


def _card_store(entry: Entry) -> int | None:
    transfer = entry.transfer
    other = transfer.to_account if transfer.from_account_id == entry.account_id else None
    other = other or transfer.from_account
    card_id = other.card_id
    if card_id is None:
        return None
    return Card.objects.filter(pk=card_id).values_list("store_id", flat=True).first()


def _points_entries() -> QuerySet[Entry]:
    return (
        Entry.objects.filter(account__kind__in=list(POINT_KINDS), account__card_id__isnull=True)
        .select_related("account", "transfer", "transfer__from_account", "transfer__to_account")
        .order_by("id")
    )


def operation_source(operation_id: int) -> Source | None:
    entries = list(_points_entries().filter(transfer__operation_id=operation_id))
    sources = _points_sources(entries)
    return sources[0] if sources else None


# ------------------------------------------------------------------------- applying


def _add(part: Part) -> None:
    _add_one(part, part.store_id)
    _add_one(part, CHAIN)


def _add_one(part: Part, store_id: int) -> None:
    lookup = {"metric": part.metric, "day": part.day, "store_id": store_id, "dim": part.dim}
    changes = {"count": F("count") + part.count, "amount": F("amount") + part.amount}
    if DailyFigure.objects.filter(**lookup).update(**changes):
        return
    try:
        with transaction.atomic():
            DailyFigure.objects.create(**lookup, count=part.count, amount=part.amount)
    except IntegrityError:  # created by a concurrent writer in the meantime
        DailyFigure.objects.filter(**lookup).update(**changes)


def source_apply(source: Source | None) -> bool:
    """Add ``source``'s figures unless it was counted already. True when it was added."""
    if source is None:
        return False
    with transaction.atomic():
        try:
            with transaction.atomic():
                RollupSource.objects.create(key=source.key, day=source.day)
        except IntegrityError:
            return False  # counted before: a redelivered event, or a rebuild got there first
        for part in source.parts:
            _add(part)
        for visit in source.visits:
            member_day_refresh(visit)
        for member_id in source.members:
            member_stat_refresh(member_id)
    return True


def member_day_refresh(visit: Visit) -> None:
    """Set the member's row for that store and day from the sales table: how many of their
    sales there that day were not reversed (no row when none)."""
    start, end = local_day_bounds(visit.day)
    sales = (
        Sale.objects.filter(
            member_id=visit.member_id,
            store_id=visit.store_id,
            created_at__gte=start,
            created_at__lt=end,
        )
        .exclude(status=Sale.Status.REVERSED)
        .count()
    )
    lookup = {"store_id": visit.store_id, "day": visit.day, "member_id": visit.member_id}
    if not sales:
        if MemberDay.objects.filter(**lookup).delete()[0]:
            _active_counts_move(visit, -1)
        return
    if MemberDay.objects.filter(**lookup).update(sales=sales):
        return
    try:
        with transaction.atomic():
            MemberDay.objects.create(**lookup, sales=sales)
    except IntegrityError:  # a concurrent refresh created it
        MemberDay.objects.filter(**lookup).update(sales=sales)
        return
    _active_counts_move(visit, 1)


# ------------------------------------------------------------ per-member figures

STAT_FIELDS = (
    "first_day",
    "last_day",
    "purchases",
    "net_fen",
    "days",
    "last_visit",
    "window_from",
    "window_purchases",
    "window_net_fen",
)
STAT_CHUNK = 500  # members per grouped query (and per lock batch)


def member_figures(
    member_ids: Iterable[int] | None, window_from: dt.date | None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Per member of ``member_ids`` (None: every member with a sale) with a sale: the
    ``MemberStat`` figures as the sales table says now, the window counted from
    ``window_from`` (None: no window, zeros). One grouped query."""
    zone = business_zone()
    done = Q(status=Sale.Status.COMPLETED)
    net = F("payable_fen") - F("returned_payable_fen")
    sales = Sale.objects.filter(member_id__isnull=False)
    if member_ids is not None:
        sales = sales.filter(member_id__in=list(member_ids))
    window: dict[str, Any] = {}
    if window_from is not None:
        recent = done & Q(created_at__gte=local_day_start(window_from))
        window = {"wn": Count("pk", filter=recent), "wnet": Sum(net, filter=recent)}
    rows = (
        sales.values("member_id")
        .annotate(
            # Local dates computed in SQL: cheaper than aware datetimes per member.
            first=TruncDate(Min("created_at", filter=done), tzinfo=zone),
            last=TruncDate(Max("created_at", filter=done), tzinfo=zone),
            n=Count("pk", filter=done),
            net=Sum(net, filter=done),
            days=Count(TruncDate("created_at", tzinfo=zone), distinct=True, filter=done),
            visit=TruncDate(Max("created_at", filter=~Q(status=Sale.Status.REVERSED)), tzinfo=zone),
            **window,
        )
        .order_by()
    )
    for row in rows.iterator(chunk_size=5000):
        yield (
            int(row["member_id"]),
            {
                "first_day": row["first"],
                "last_day": row["last"],
                "purchases": int(row["n"]),
                "net_fen": int(row["net"] or 0),
                "days": int(row["days"]),
                "last_visit": row["visit"],
                "window_from": window_from,
                "window_purchases": int(row.get("wn") or 0),
                "window_net_fen": int(row.get("wnet") or 0),
            },
        )


def _window_from() -> dt.date | None:
    return MemberStatState.objects.values_list("window_from", flat=True).first()


def member_stat_refresh(member_id: int) -> None:
    """Set the member's ``MemberStat`` from their sales, under a lock on the row: two
    refreshes of one member run one after the other, and the second sees every sale the
    first did (its event was sent after its sale was committed)."""
    with transaction.atomic():
        MemberStat.objects.bulk_create([MemberStat(member_id=member_id)], ignore_conflicts=True)
        list(MemberStat.objects.select_for_update().filter(member_id=member_id).values_list("pk"))
        found = dict(member_figures([member_id], _window_from()))
        if member_id not in found:  # no sale at all (cannot happen for a sale's member)
            MemberStat.objects.filter(member_id=member_id).delete()
            return
        MemberStat.objects.filter(member_id=member_id).update(**found[member_id])


def member_stats_write(member_ids: Iterable[int] | None, window_from: dt.date | None) -> int:
    """Recompute the ``MemberStat`` rows of ``member_ids`` (None: every row, from every
    sale) from the sales, the window from ``window_from``. Returns the rows written."""
    written = 0
    if member_ids is None:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Refreshes wait until this is committed (and then recount their member):
                # none writes a row in between that the fill would overwrite or collide with.
                with connection.cursor() as cursor:
                    cursor.execute("LOCK TABLE analytics_memberstat IN EXCLUSIVE MODE")
            MemberStat.objects.all().delete()
            batch: list[MemberStat] = []
            for member_id, values in member_figures(None, window_from):
                batch.append(MemberStat(member_id=member_id, **values))
                if len(batch) >= 2000:
                    MemberStat.objects.bulk_create(batch)
                    written, batch = written + len(batch), []
            MemberStat.objects.bulk_create(batch)
        return written + len(batch)
    ids = sorted(set(member_ids))
    for start in range(0, len(ids), STAT_CHUNK):
        chunk = ids[start : start + STAT_CHUNK]
        with transaction.atomic():
            # Every row there and locked, in member order (``member_stat_refresh`` locks one):
            # a refresh racing this waits, then recounts from the sales; no deadlock.
            MemberStat.objects.bulk_create(
                [MemberStat(member_id=m) for m in chunk], ignore_conflicts=True
            )
            list(
                MemberStat.objects.select_for_update()
                .filter(member_id__in=chunk)
                .order_by("member_id")
                .values_list("member_id", flat=True)
            )
            found = dict(member_figures(chunk, window_from))
            MemberStat.objects.filter(member_id__in=set(chunk) - set(found)).delete()
            MemberStat.objects.bulk_create(
                [MemberStat(member_id=m, **v) for m, v in found.items()],
                update_conflicts=True,
                unique_fields=["member_id"],
                update_fields=list(STAT_FIELDS),
            )
            written += len(found)
    return written


def member_stats_prepare(window_from: dt.date) -> dict[str, int]:
    """Bring ``MemberStat`` up to date for a window from ``window_from`` (what RFM reads):

    * take in the members of every sale past the last sweep (the sale events keep the rows;
      this catches sales no event announced yet — and, the first time, fills the table
      from every sale);
    * move the window: the members with a sale between the old start and the new one are
      recounted, every other row only takes the new start (its figures are the same).

    One transaction under the state row's lock: two runs wait for each other."""
    with transaction.atomic():
        MemberStatState.objects.bulk_create([MemberStatState(pk=1)], ignore_conflicts=True)
        state = MemberStatState.objects.select_for_update().get(pk=1)
        top = Sale.objects.aggregate(m=Max("pk"))["m"] or 0
        old = state.window_from
        MemberStatState.objects.filter(pk=1).update(window_from=window_from, sales_through=top)
        if state.sales_through == 0:
            return {"members": member_stats_write(None, window_from), "filled": 1}
        fresh = Sale.objects.filter(
            pk__gt=state.sales_through, pk__lte=top, member_id__isnull=False
        ).values_list("member_id", flat=True)
        moved: set[int] = set(fresh.distinct())
        if old != window_from:
            if old is None:
                moved |= set(MemberStat.objects.values_list("member_id", flat=True))
            else:
                lo, hi = sorted((old, window_from))
                between = Sale.objects.filter(
                    created_at__gte=local_day_start(lo),
                    created_at__lt=local_day_start(hi),
                    member_id__isnull=False,
                ).values_list("member_id", flat=True)
                moved |= set(between.distinct())
                # Rows a refresh left on another start (it ran while this moved the window).
                moved |= set(
                    MemberStat.objects.exclude(window_from=old).values_list("member_id", flat=True)
                )
                MemberStat.objects.filter(window_from=old).update(window_from=window_from)
        return {"members": member_stats_write(moved, window_from), "filled": 0}


def member_stats_rebuild(first: dt.date, last: dt.date) -> int:
    """Recount from the sales the ``MemberStat`` rows of every member with a sale made or
    reversed, or a return, in ``[first, last]``. Returns the rows written."""
    return member_stats_write(_stats_touched(first, last), _window_from())


def _stats_touched(first: dt.date, last: dt.date) -> set[int]:
    """The members with a sale made or reversed, or a return, in ``[first, last]``."""
    start, end = local_day_start(first), local_day_start(last + dt.timedelta(days=1))
    members = Sale.objects.filter(member_id__isnull=False).values_list("member_id", flat=True)
    made = members.filter(created_at__gte=start, created_at__lt=end)
    undone = members.filter(reversed_at__gte=start, reversed_at__lt=end)
    returned = members.filter(returns__created_at__gte=start, returns__created_at__lt=end)
    return set(made.distinct()) | set(undone.distinct()) | set(returned.distinct())


CHAIN_SCOPE = "chain"


def store_scope(store_id: int) -> str:
    return f"store:{store_id}"


def _active_counts_move(visit: Visit, delta: int) -> None:
    """The member's day at the store appeared (+1) or went (−1): every kept count whose
    range holds that day moves by one if it was the member's only day in the range (at the
    store, for a store's count)."""
    counts = ActiveCount.objects.filter(
        first__lte=visit.day,
        last__gte=visit.day,
        scope__in=[CHAIN_SCOPE, store_scope(visit.store_id)],
    )
    for count in counts:
        others = MemberDay.objects.filter(
            member_id=visit.member_id, day__gte=count.first, day__lte=count.last
        ).exclude(store_id=visit.store_id, day=visit.day)
        if count.scope != CHAIN_SCOPE:
            others = others.filter(store_id=visit.store_id)
        if not others.exists():
            ActiveCount.objects.filter(pk=count.pk).update(members=F("members") + delta)


def active_members_count(store_ids: frozenset[int] | None, first: dt.date, last: dt.date) -> int:
    """The members with a purchase (not reversed) in ``[first, last]`` at these stores (None:
    the chain), each once. The chain's and a single store's count is kept in
    ``ActiveCount`` once asked for; several stores are counted each time."""
    rows = MemberDay.objects.filter(day__gte=first, day__lte=last)
    if store_ids is not None and len(store_ids) != 1:
        return _distinct_members(rows.filter(store_id__in=store_ids))
    if store_ids is None:
        scope = CHAIN_SCOPE
    else:
        (store_id,) = store_ids
        scope = store_scope(store_id)
        rows = rows.filter(store_id=store_id)
    kept = ActiveCount.objects.filter(scope=scope, first=first, last=last)
    found = kept.values_list("members", flat=True).first()
    if found is not None:
        return int(found)
    members = _distinct_members(rows)
    now = timezone.now()
    try:
        with transaction.atomic():
            ActiveCount.objects.create(
                scope=scope, first=first, last=last, members=members, counted_at=now
            )
    except IntegrityError:  # counted by a concurrent reader
        pass
    return members


def _distinct_members(rows: QuerySet[MemberDay]) -> int:
    """How many members ``rows`` hold; on PostgreSQL with room to hash them in memory (at
    the default 4 MB the hash of a year's members spills to disk)."""
    query = rows.values("member_id").distinct()
    if connection.vendor != "postgresql":
        return query.count()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        return query.count()


def active_counts_prune(today: dt.date) -> int:
    """Drop the kept counts of ranges reaching the last three days (a recount on the next
    read makes good any purchase a race between counting and keeping missed) and those
    counted more than a week ago."""
    week_ago = timezone.now() - dt.timedelta(days=7)
    recent = Q(last__gte=today - dt.timedelta(days=3)) | Q(counted_at__lt=week_ago)
    return ActiveCount.objects.filter(recent).delete()[0]


def usual_ranges(today: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The ranges a dashboard usually asks for: today, yesterday, the last 7, 30 and 365
    days, this month and this year so far, and each of the last twelve whole months."""
    day = dt.timedelta(days=1)
    month = today.replace(day=1)
    out = [
        (today, today),
        (today - day, today - day),
        (today - 6 * day, today),
        (today - 29 * day, today),
        (today - 364 * day, today),
        (month, today),
        (today.replace(month=1, day=1), today),
    ]
    for _ in range(12):
        last = month - day
        month = last.replace(day=1)
        out.append((month, last))
    return out


def active_counts_keep(today: dt.date) -> int:
    """Count (and keep) the active members of ``usual_ranges`` for the chain and for each
    store, those not kept yet: a dashboard's first read of them finds the count. Returns
    how many were counted."""
    scopes: list[frozenset[int] | None] = [None]
    scopes += [frozenset([pk]) for pk in Store.objects.order_by("pk").values_list("pk", flat=True)]
    counted = 0
    for store_ids in scopes:
        scope = CHAIN_SCOPE if store_ids is None else store_scope(next(iter(store_ids)))
        kept = set(ActiveCount.objects.filter(scope=scope).values_list("first", "last"))
        for first, last in usual_ranges(today):
            if (first, last) not in kept:
                active_members_count(store_ids, first, last)
                counted += 1
    return counted


def sweep_operations(since: dt.date) -> int:
    """Count the points legs of ledger operations since ``since`` that no event announced
    (the expiry job's), or whose event is still on its way. Returns how many were added."""
    start = local_day_start(since)
    entries = _points_entries().filter(created_at__gte=start)
    counted = set(
        RollupSource.objects.filter(day__gte=since, key__startswith="op:").values_list(
            "key", flat=True
        )
    )
    added = 0
    for source in _points_sources(entries):
        if source.key not in counted and source_apply(source):
            added += 1
    return added


# ------------------------------------------------------------------------ rebuilding


def sources_between(first: dt.date, last: dt.date) -> Iterator[Source]:
    """Every source whose business date is in ``[first, last]``, from the tables."""
    start, end = local_day_start(first), local_day_start(last + dt.timedelta(days=1))
    span = Q(created_at__gte=start, created_at__lt=end)
    for sale in Sale.objects.filter(span).order_by("id").iterator(chunk_size=2000):
        yield sale_source(sale)
    reversed_sales = Sale.objects.filter(reversed_at__gte=start, reversed_at__lt=end)
    for sale in reversed_sales.order_by("id").iterator(chunk_size=2000):
        source = reversal_source(sale)
        if source is not None:
            yield source
    returns = SaleReturn.objects.filter(span).select_related("sale")
    for ret in returns.order_by("id").iterator(chunk_size=2000):
        yield return_source(ret)
    for recharge in Recharge.objects.filter(span).order_by("id").iterator(chunk_size=2000):
        yield recharge_source(recharge)
    for refund in Refund.objects.filter(span).order_by("id").iterator(chunk_size=2000):
        yield refund_source(refund)
    members = Member.objects.filter(joined_at__gte=start, joined_at__lt=end)
    for member in members.order_by("id").iterator(chunk_size=2000):
        yield member_source(member)
    yield from _points_sources(_points_entries().filter(span))
    issued = Coupon.objects.filter(issued_at__gte=start, issued_at__lt=end).select_related("member")
    for coupon in issued.order_by("id").iterator(chunk_size=2000):
        yield coupon_issued_source(coupon)
    used = Coupon.objects.filter(
        status=Coupon.Status.USED, used_at__gte=start, used_at__lt=end
    ).order_by("id")
    for coupon in used.iterator(chunk_size=2000):
        source = coupon_used_source(coupon)
        if source is not None:
            yield source
    for field, make in (
        ("seated_at", signup_seated_source),
        ("cancelled_at", signup_cancelled_source),
        ("attended_at", signup_attended_source),
    ):
        signups = Signup.objects.filter(**{f"{field}__gte": start, f"{field}__lt": end})
        for signup in signups.order_by("id").iterator(chunk_size=2000):
            made = make(signup)
            if made is not None:
                yield made


def rollup_rebuild(first: dt.date, last: dt.date, *, members: bool = True) -> dict[str, int]:
    """Replace the roll-ups of ``[first, last]`` by what the tables and the ledger say, and
    (``members``) recount the per-member rows of the members the range touches
    (``member_stats_rebuild``).

    One transaction: readers see the old figures or the new ones. An event delivered later
    for a source counted here finds its key and adds nothing."""
    if last < first:
        raise ValueError("the range ends before it starts")
    totals: dict[tuple[dt.date, int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    keys: list[RollupSource] = []
    visits: dict[Visit, int] = defaultdict(int)
    with transaction.atomic():
        removed = DailyFigure.objects.filter(day__gte=first, day__lte=last).delete()[0]
        RollupSource.objects.filter(day__gte=first, day__lte=last).delete()
        MemberDay.objects.filter(day__gte=first, day__lte=last).delete()
        ActiveCount.objects.filter(first__lte=last, last__gte=first).delete()
        for source in sources_between(first, last):
            keys.append(RollupSource(key=source.key, day=source.day))
            for p in source.parts:
                if p.metric in DERIVED:
                    continue  # dated outside the range: recomputed below
                for store in (p.store_id, CHAIN):
                    cell = totals[(p.day, store, p.metric, p.dim)]
                    cell[0] += p.count
                    cell[1] += p.amount
        RollupSource.objects.bulk_create(keys, batch_size=2000)
        DailyFigure.objects.bulk_create(
            (
                DailyFigure(day=d, store_id=s, metric=m, dim=dim, count=c, amount=a)
                for (d, s, m, dim), (c, a) in totals.items()
            ),
            batch_size=2000,
        )
        _months_refresh(first, last)
        start, end = local_day_start(first), local_day_start(last + dt.timedelta(days=1))
        standing = (
            Sale.objects.filter(created_at__gte=start, created_at__lt=end, member_id__isnull=False)
            .exclude(status=Sale.Status.REVERSED)
            .values_list("member_id", "store_id", "created_at")
        )
        for member_id, store_id, created_at in standing.iterator(chunk_size=5000):
            visits[Visit(member_id, store_id, local_date(created_at))] += 1
        MemberDay.objects.bulk_create(
            (
                MemberDay(day=v.day, store_id=v.store_id, member_id=v.member_id, sales=n)
                for v, n in visits.items()
            ),
            batch_size=2000,
        )
        if members:
            member_stats_rebuild(first, last)
    return {"sources": len(keys), "figures": len(totals), "removed": removed}


def _months_refresh(first: dt.date, last: dt.date) -> None:
    """Recompute the monthly new-member rows of the months ``[first, last]`` touches from
    the daily rows (which a rebuild has just replaced)."""
    month = first.replace(day=1)
    while month <= last:
        nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        DailyFigure.objects.filter(metric="members_month", day=month).delete()
        rows = (
            DailyFigure.objects.filter(metric="members_new", day__gte=month, day__lt=nxt)
            .values("store_id")
            .annotate(c=Sum("count"))
        )
        DailyFigure.objects.bulk_create(
            DailyFigure(day=month, store_id=r["store_id"], metric="members_month", count=r["c"])
            for r in rows
            if r["c"]
        )
        month = nxt
