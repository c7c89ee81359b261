"""Business dates: the chain's local calendar (``settings.TIME_ZONE``, Asia/Shanghai).

Moments are stored in UTC; every business date — special days and weekdays of earn rules,
daily caps, card validity, points expiry at period end, reports per day or quarter, the
periods of scheduled jobs — is the local date of that moment, never ``moment.date()``.
A sale at 07:30 in Shanghai on 11-11 is 23:30 UTC on 11-10, and it belongs to 11-11.

The zone is the configured one, not the zone a request may have activated: a business
date does not change with the reader.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import cache

from django.conf import settings
from django.utils import timezone


@cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def business_zone() -> zoneinfo.ZoneInfo:
    """The chain's time zone (``settings.TIME_ZONE``)."""
    return _zone(settings.TIME_ZONE)


def local_time(moment: dt.datetime) -> dt.datetime:
    """``moment`` (aware) on the chain's clock."""
    if timezone.is_naive(moment):
        raise ValueError("a business moment must be timezone-aware")
    return moment.astimezone(business_zone())


def local_date(moment: dt.datetime) -> dt.date:
    """The business date of ``moment``: its date on the chain's clock."""
    return local_time(moment).date()


def local_day_start(day: dt.date) -> dt.datetime:
    """The first moment of the local ``day`` (local midnight, aware)."""
    naive = dt.datetime.combine(day, dt.time.min)
    # fold=0: where midnight happens twice (a DST fall-back), the first one starts the day.
    return naive.replace(tzinfo=business_zone())


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` of the local ``day``: from its midnight to the next day's."""
    return local_day_start(day), local_day_start(day + dt.timedelta(days=1))


def local_today() -> dt.date:
    """Today's business date."""
    return local_date(timezone.now())
