"""Business dates are Shanghai dates, whatever zone a reader has activated."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.core.clock import local_date, local_day_bounds, local_day_start, local_time

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def test_local_date_of_a_moment():
    early = dt.datetime(2026, 11, 10, 23, 30, tzinfo=dt.UTC)  # 07:30 on 11-11 in Shanghai
    assert local_date(early) == dt.date(2026, 11, 11)
    assert local_date(early - dt.timedelta(hours=7, minutes=31)) == dt.date(2026, 11, 10)
    with timezone.override("UTC"):
        assert local_date(early) == dt.date(2026, 11, 11)
    assert local_time(early).hour == 7


def test_day_bounds_are_local_midnights():
    start, end = local_day_bounds(dt.date(2026, 11, 11))
    assert start == dt.datetime(2026, 11, 11, tzinfo=SHANGHAI)
    assert end == dt.datetime(2026, 11, 12, tzinfo=SHANGHAI)
    assert start == dt.datetime(2026, 11, 10, 16, tzinfo=dt.UTC)
    assert local_day_start(dt.date(2027, 1, 1)) == dt.datetime(2026, 12, 31, 16, tzinfo=dt.UTC)


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError):
        local_date(dt.datetime(2026, 11, 11, 7, 30))
