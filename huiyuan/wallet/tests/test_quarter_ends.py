"""The stored-value report's quarters end at local (Shanghai) midnights."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from huiyuan.wallet.selectors import quarter_ends

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def test_quarters_end_at_local_midnight_whatever_zone_is_active():
    expected = [
        dt.datetime(2026, 4, 1, tzinfo=SHANGHAI),
        dt.datetime(2026, 7, 1, tzinfo=SHANGHAI),
        dt.datetime(2026, 10, 1, tzinfo=SHANGHAI),
        dt.datetime(2027, 1, 1, tzinfo=SHANGHAI),
    ]
    assert quarter_ends(2026) == expected
    with timezone.override("UTC"):
        assert quarter_ends(2026) == expected
