"""The per-member roll-up (``MemberStat``) against hand-computed values: kept from the sale
events (a partial return, a whole return, reversals), its window moved, and the usual
dashboard ranges read without counting the member-days."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from huiyuan.analytics import rollups, selectors
from huiyuan.analytics.models import MemberStat, MemberStatState
from huiyuan.checkout.models import Sale
from huiyuan.checkout.services import (
    BasketSaleInput,
    ExternalPayment,
    SaleLineInput,
    sale_complete,
    sale_return,
    sale_reverse,
)
from huiyuan.core.clock import local_today
from huiyuan.core.permissions import Role
from huiyuan.events.dispatch import events_dispatch
from huiyuan.ledger.tests.factories import key


def stat(member_id: int) -> tuple[object, ...]:
    row = MemberStat.objects.get(member_id=member_id)
    return (
        row.first_day,
        row.last_day,
        row.purchases,
        row.net_fen,
        row.days,
        row.last_visit,
        row.window_purchases,
        row.window_net_fen,
    )


def test_member_figures_follow_sales_returns_and_reversals(business, shop, cashier, actors):
    """Member A: ¥100 by card (stands), ¥50 cash (wholly returned: no purchase), ¥30
    WeChat (reversed: no purchase); then two coffees of ¥28 for cash, one returned (¥28
    net); then the ¥100 sale is reversed. Member B: ¥20 cash at the other store."""
    today = local_today()
    a, b = business.card.member_id, business.other_card.member_id
    start = today - dt.timedelta(days=364)
    rollups.member_stats_prepare(start)  # the window the figures count from
    assert stat(a) == (today, today, 1, 10000, 1, today, 1, 10000)
    assert stat(b) == (today, today, 1, 2000, 1, today, 1, 2000)

    coffees = sale_complete(
        actor=cashier,
        data=BasketSaleInput(
            lines=(SaleLineInput(product_id=shop.coffee.pk, quantity_milli=2000),),
            card_id=business.card.pk,
            payments=(ExternalPayment("cash", 5600),),
        ),
        idempotency_key=key(),
    )
    events_dispatch()
    assert stat(a) == (today, today, 2, 15600, 1, today, 2, 15600)
    manager = actors[Role.STORE_MANAGER]
    line = coffees.lines.get()
    sale_return(
        actor=manager,
        sale_id=coffees.pk,
        lines=[(line.pk, 1000)],
        reason="退一杯",
        idempotency_key=key(),
    )
    events_dispatch()
    assert Sale.objects.get(pk=coffees.pk).returned_payable_fen == 2800
    assert stat(a) == (today, today, 2, 12800, 1, today, 2, 12800)
    sale_reverse(
        actor=manager, sale_id=business.paid_by_card.pk, reason="收错", idempotency_key=key()
    )
    events_dispatch()
    assert stat(a) == (today, today, 1, 2800, 1, today, 1, 2800)
    assert stat(b) == (today, today, 1, 2000, 1, today, 1, 2000)
    # The rebuild of the day leaves exactly these figures.
    kept = {m: stat(m) for m in (a, b)}
    MemberStat.objects.all().delete()
    rollups.rollup_rebuild(today, today)
    assert {m: stat(m) for m in (a, b)} == kept


def test_the_window_moves_with_the_days(business):
    """Moved past today, the window holds no purchase; the all-time figures stay."""
    today = local_today()
    a = business.card.member_id
    rollups.member_stats_prepare(today - dt.timedelta(days=364))
    assert stat(a)[6:] == (1, 10000)
    result = rollups.member_stats_prepare(today + dt.timedelta(days=1))
    assert result == {"members": 2, "filled": 0}  # the two buyers of today, recounted
    assert stat(a) == (today, today, 1, 10000, 1, today, 0, 0)
    assert MemberStatState.objects.get().window_from == today + dt.timedelta(days=1)
    assert set(MemberStat.objects.values_list("window_from", flat=True)) == {
        today + dt.timedelta(days=1)
    }
    # And back: the same as before.
    rollups.member_stats_prepare(today - dt.timedelta(days=364))
    assert stat(a)[6:] == (1, 10000)
    # Nothing new: nothing recounted.
    assert rollups.member_stats_prepare(today - dt.timedelta(days=364))["members"] == 0


def _memberday_queries(read) -> list[str]:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        read()
    return [q["sql"] for q in ctx.captured_queries if "analytics_memberday" in q["sql"]]


def test_the_usual_ranges_are_read_without_counting(business, owner, actors, stores):
    """After the daily job, the first read of a usual range (the chain's or a store's)
    finds its active members kept: no query on the member-days."""
    today = local_today()
    day = dt.timedelta(days=1)
    rollups.active_counts_keep(today)
    manager = actors[Role.STORE_MANAGER]
    for first, last in rollups.usual_ranges(today):
        for actor in (owner, manager):
            assert not _memberday_queries(
                lambda a=actor, f=first, t=last: selectors.dashboard(actor=a, first=f, last=t)
            ), (first, last)
    assert selectors.dashboard(actor=owner)["active_members"] == 2  # this month so far
    assert selectors.dashboard(actor=manager, first=today - 29 * day)["active_members"] == 1
    # Another range is counted on its first read, then kept.
    odd = today - 2 * day
    assert _memberday_queries(lambda: selectors.dashboard(actor=owner, first=odd, last=today))
    assert not _memberday_queries(lambda: selectors.dashboard(actor=owner, first=odd, last=today))
