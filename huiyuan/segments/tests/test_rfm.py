"""RFM classes and labels at their boundaries, computed from sales net of returns and
reversals and from imported history."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.checkout.models import Sale
from huiyuan.segments.models import HistorySale, MemberProfile, RfmClass
from huiyuan.segments.selectors import rfm_settings_get, rfm_summary
from huiyuan.segments.services import Agg, profiles_rebuild, rfm_classify

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def agg(last_days_ago: int, purchases: int, spend_fen: int) -> Agg:
    last = TODAY - dt.timedelta(days=last_days_ago)
    return Agg(
        first=last,
        last=last,
        purchases=purchases,
        spend_fen=spend_fen,
        window_purchases=purchases,
        window_spend_fen=spend_fen,
    )


@pytest.mark.parametrize(
    ("days", "purchases", "spend", "expected"),
    [
        (89, 3, 100000, RfmClass.IMPORTANT_VALUE),  # every bound met exactly
        (90, 3, 100000, RfmClass.IMPORTANT_KEEP),  # 90 days ago is no longer recent
        (89, 2, 100000, RfmClass.IMPORTANT_DEVELOP),
        (90, 2, 100000, RfmClass.IMPORTANT_WINBACK),
        (89, 3, 99999, RfmClass.GENERAL_VALUE),
        (0, 1, 99999, RfmClass.GENERAL_DEVELOP),
        (200, 5, 5000, RfmClass.GENERAL_KEEP),
        (400, 1, 100, RfmClass.GENERAL_WINBACK),
    ],
)
def test_rfm_class_boundaries(days, purchases, spend, expected):
    settings = rfm_settings_get()  # 90 days, 3 purchases, ¥1000
    assert rfm_classify(agg(days, purchases, spend), settings, TODAY).rfm_class == expected


def test_labels_at_their_bounds():
    s = rfm_settings_get()  # loyal ≥ 6, big ≥ ¥5000, at risk 120–364 days, lost ≥ 365
    assert rfm_classify(agg(10, 6, 1), s, TODAY).loyal
    assert not rfm_classify(agg(10, 5, 1), s, TODAY).loyal
    assert not rfm_classify(agg(90, 6, 1), s, TODAY).loyal  # not recent
    assert rfm_classify(agg(10, 1, 500000), s, TODAY).big_spender
    assert not rfm_classify(agg(10, 1, 499999), s, TODAY).big_spender
    assert rfm_classify(agg(120, 3, 1), s, TODAY).at_risk
    assert not rfm_classify(agg(119, 3, 1), s, TODAY).at_risk
    assert not rfm_classify(agg(120, 2, 1), s, TODAY).at_risk  # was never frequent
    c = rfm_classify(agg(365, 3, 1), s, TODAY)
    assert c.lost and not c.at_risk
    assert not rfm_classify(agg(364, 3, 1), s, TODAY).lost


def test_profiles_net_of_returns_and_reversals(make_member, make_sale, owner):
    member = make_member()
    make_sale(member, 60000, TODAY - dt.timedelta(days=3), hour=19, category="drinks")
    make_sale(member, 50000, TODAY - dt.timedelta(days=10), hour=19, returned_fen=20000)
    make_sale(member, 90000, TODAY - dt.timedelta(days=5), status=Sale.Status.REVERSED)
    make_sale(member, 40000, TODAY - dt.timedelta(days=1), status=Sale.Status.RETURNED)
    HistorySale.objects.create(
        member=member,
        occurred_on=TODAY - dt.timedelta(days=400),
        amount_fen=15000,
        fingerprint="h1",
    )
    profiles_rebuild(today=TODAY)
    p = MemberProfile.objects.get(member=member)
    assert (p.purchases, p.spend_fen) == (3, 60000 + 30000 + 15000)
    assert (p.window_purchases, p.window_spend_fen) == (2, 90000)
    assert p.last_on == TODAY - dt.timedelta(days=3)
    assert p.first_on == TODAY - dt.timedelta(days=400)
    assert p.recency_days == 3
    assert p.rfm_class == RfmClass.GENERAL_DEVELOP  # 2 purchases, ¥900 in the window
    assert p.hour == 19 and p.category == "drinks"
    assert p.p_alive is None  # too few members for a fit
    summary = rfm_summary(actor=owner)
    assert summary.members == 1
    assert {r.rfm_class: r.members for r in summary.rows}[RfmClass.GENERAL_DEVELOP] == 1


def test_rfm_summary_in_store_scope(make_member, make_sale, stores, actors):
    from huiyuan.core.permissions import Role

    here = make_member(store=stores[0])
    there = make_member(store=stores[1])
    make_sale(here, 1000, TODAY)
    make_sale(there, 1000, TODAY)
    profiles_rebuild(today=TODAY)
    assert rfm_summary(actor=actors[Role.OWNER]).members == 2
    assert rfm_summary(actor=actors[Role.STORE_MANAGER]).members == 1


def _from_sales(today: dt.date, window_days: int) -> dict[int, tuple[object, ...]]:
    """RFM's inputs as they were computed before the per-member roll-up: one grouped query
    on the completed sales (the reference the roll-up must equal)."""
    from django.db.models import Count, F, Max, Min, Q, Sum
    from django.db.models.functions import TruncDate

    from huiyuan.core import clock

    zone = clock.business_zone()
    since = clock.local_day_start(today - dt.timedelta(days=window_days - 1))
    net = F("payable_fen") - F("returned_payable_fen")
    rows = (
        Sale.objects.filter(member__isnull=False, status=Sale.Status.COMPLETED)
        .values("member_id")
        .annotate(
            first=TruncDate(Min("created_at"), tzinfo=zone),
            last=TruncDate(Max("created_at"), tzinfo=zone),
            n=Count("pk"),
            spend=Sum(net),
            wn=Count("pk", filter=Q(created_at__gte=since)),
            wspend=Sum(net, filter=Q(created_at__gte=since)),
            days=Count(TruncDate("created_at", tzinfo=zone), distinct=True),
        )
        .order_by()
    )
    return {
        r["member_id"]: (
            r["first"],
            r["last"],
            r["n"],
            int(r["spend"] or 0),
            r["wn"],
            int(r["wspend"] or 0),
            r["days"],
        )
        for r in rows
    }


def _read(today: dt.date, window_days: int = 365) -> dict[int, tuple[object, ...]]:
    from huiyuan.segments.services import purchases_aggregate

    out = purchases_aggregate(today=today, window_days=window_days)
    return {
        m: (
            a.first,
            a.last,
            a.purchases,
            a.spend_fen,
            a.window_purchases,
            a.window_spend_fen,
            a.days,
        )
        for m, a in out.items()
    }


def test_rfm_reads_the_per_member_roll_up_as_the_sales_say(make_member, make_sale):
    """The roll-up gives what the sales table gives: filled the first time, new sales taken
    in, the window moved forward and back, a row left on another window counted again.
    By hand for one member: ¥600 three days ago, ¥500 less ¥200 returned on the window's
    first day, ¥700 the day before it (outside the window), ¥900 reversed, ¥400 wholly
    returned."""
    from huiyuan.analytics.models import MemberStat

    day = dt.timedelta(days=1)
    start = TODAY - 364 * day  # the default 365-day window's first day
    m = make_member()
    make_sale(m, 60000, TODAY - 3 * day)
    make_sale(m, 50000, start, hour=0, returned_fen=20000)
    make_sale(m, 70000, start - day, hour=23)
    make_sale(m, 90000, TODAY - 5 * day, status=Sale.Status.REVERSED)
    make_sale(m, 40000, TODAY - day, status=Sale.Status.RETURNED)
    others = [make_member(f"会员{i}") for i in range(3)]
    for i, o in enumerate(others):
        for k in range(i + 1):
            make_sale(o, 1000 * (k + 1), TODAY - (100 * k + i) * day, returned_fen=100 * i)
    got = _read(TODAY)
    assert got[m.pk] == (start - day, TODAY - 3 * day, 3, 60000 + 30000 + 70000, 2, 90000, 3)
    assert got == _from_sales(TODAY, 365)
    # New sales the events did not announce: taken in by the sweep.
    make_sale(others[0], 5000, TODAY)
    make_sale(m, 1000, TODAY, status=Sale.Status.REVERSED)
    assert _read(TODAY) == _from_sales(TODAY, 365)
    # A month later, and back; a shorter window.
    later = TODAY + 30 * day
    assert _read(later) == _from_sales(later, 365)
    assert _read(later)[m.pk][4:6] == (1, 60000)  # the sale on the old first day left
    assert _read(TODAY) == _from_sales(TODAY, 365)
    assert _read(TODAY, 30) == _from_sales(TODAY, 30)
    # A row a refresh left on another window is counted again from the sales.
    MemberStat.objects.filter(member_id=m.pk).update(window_from=TODAY, window_purchases=0)
    assert _read(TODAY, 30) == _from_sales(TODAY, 30)
    profiles_rebuild(today=TODAY)
    p = MemberProfile.objects.get(member=m)
    assert (p.window_purchases, p.window_spend_fen, p.recency_days) == (2, 90000, 3)
