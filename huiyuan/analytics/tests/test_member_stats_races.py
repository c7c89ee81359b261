"""Real threads on PostgreSQL: the per-member roll-up stays exact while its window moves,
sales are reversed and their members refreshed, all at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from huiyuan.analytics import rollups
from huiyuan.analytics.models import MemberStat, MemberStatState
from huiyuan.checkout.services import QuickSaleInput, sale_quick, sale_reverse
from huiyuan.core.clock import local_today
from huiyuan.core.permissions import Role
from huiyuan.core.races import race
from huiyuan.ledger.tests.factories import key

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are tested on PostgreSQL (SQLite serialises writers)")


def test_window_moves_and_refreshes_race_without_a_wrong_row(business, cashier, actors):
    today = local_today()
    a, b = business.card.member_id, business.other_card.member_id
    manager = actors[Role.STORE_MANAGER]
    rollups.member_stats_prepare(today - dt.timedelta(days=364))
    sales = [
        sale_quick(
            actor=cashier,
            data=QuickSaleInput(
                amount_fen=1000 + i, card_id=business.card.pk, external_method="cash"
            ),
            idempotency_key=key(),
        )
        for i in range(4)
    ]
    windows = [today + dt.timedelta(days=1), today - dt.timedelta(days=30)]
    for round_, sale in enumerate(sales):

        def undo(s=sale) -> None:  # type: ignore[no-untyped-def]
            sale_reverse(actor=manager, sale_id=s.pk, reason="收错", idempotency_key=key())
            rollups.member_stat_refresh(a)  # as its event would

        results = race(
            lambda r=round_: rollups.member_stats_prepare(windows[r % 2]),
            undo,
            lambda: rollups.member_stat_refresh(a),
            lambda: rollups.member_stat_refresh(b),
        )
        assert not [r for r in results if isinstance(r, str)], results
        # Every row holds the figures of the window it names, as the sales say now.
        for row in MemberStat.objects.all():
            fresh = dict(rollups.member_figures([row.member_id], row.window_from))
            assert {f: getattr(row, f) for f in rollups.STAT_FIELDS} == fresh[row.member_id]
    assert MemberStatState.objects.get().window_from == windows[1]
    row = MemberStat.objects.get(member_id=a)
    assert (row.purchases, row.net_fen) == (1, 10000)  # the ¥100 sale alone stands
