"""Card validity runs on the local calendar: valid through a local date, to its last moment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.cards.services import add_months, card_issue, card_renew
from huiyuan.core.clock import local_date
from huiyuan.ledger.tests.factories import card_type, member

UTC = dt.UTC
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def last_moment(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 23, 59, 59, 999_999, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("moment", "months", "through"),
    [
        # 07:30 on 01-31 in Shanghai is 23:30 on 01-30 UTC: one month is through 02-28.
        (dt.datetime(2026, 1, 30, 23, 30, tzinfo=UTC), 1, (2026, 2, 28)),
        # 07:30 on 03-31 in Shanghai (03-30 UTC): through 04-30, not 05-01.
        (dt.datetime(2026, 3, 30, 23, 30, tzinfo=UTC), 1, (2026, 4, 30)),
        (dt.datetime(2026, 11, 10, 23, 30, tzinfo=UTC), 12, (2027, 11, 11)),
        (dt.datetime(2027, 11, 30, 15, 59, tzinfo=UTC), 3, (2028, 2, 29)),  # 23:59 on 11-30
        (dt.datetime(2027, 11, 30, 16, 0, tzinfo=UTC), 3, (2028, 3, 1)),  # 00:00 on 12-01
        (dt.datetime(2026, 6, 15, 3, 0, tzinfo=UTC), 24, (2028, 6, 15)),
    ],
)
def test_validity_ends_with_the_local_date(moment, months, through):
    expires = add_months(moment, months)
    assert expires == last_moment(*through)
    assert local_date(expires) == dt.date(*through)
    # Valid the whole of that day, gone at the next local midnight.
    assert expires < dt.datetime(*through, tzinfo=SHANGHAI) + dt.timedelta(days=1)


def test_renewing_from_the_old_expiry_keeps_the_day(monkeypatch, owner, cashier):
    issued = dt.datetime(2026, 1, 30, 23, 30, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: issued)
    ctype = card_type(owner, code="year", validity_months=12)
    c = card_issue(actor=cashier, card_type_id=ctype.pk, member_id=member(cashier).pk)
    assert c.expires_at == last_moment(2027, 1, 31)
    renewed = card_renew(actor=owner, card_id=c.pk, months=12)
    assert renewed.expires_at == last_moment(2028, 1, 31)
