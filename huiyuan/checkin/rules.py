"""Streak arithmetic of the daily check-in: pure functions.

- A check-in on the business date right after the member's last check-in continues the
  streak (+1); any other date (a day missed, or the first ever) starts it again at 1.
- A streak's day *d* earns the points of the last reward entry whose day is at most *d*
  ("from day N on"); before the first entry's day, nothing. With a cycle of *c* days the
  position counts round: position = ((d − 1) mod c) + 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence


def next_streak(last_date: dt.date | None, last_streak: int, today: dt.date) -> int:
    """The streak of a check-in on ``today`` after one on ``last_date``."""
    if last_date is not None and last_date + dt.timedelta(days=1) == today:
        return last_streak + 1
    return 1


def position(streak: int, cycle_days: int | None) -> int:
    """The day of the reward table this streak day uses."""
    if streak < 1:
        raise ValueError("a streak starts at 1")
    if cycle_days:
        return (streak - 1) % cycle_days + 1
    return streak


def points_for(streak: int, rewards: Sequence[Sequence[int]], cycle_days: int | None) -> int:
    """Points earned on day ``streak`` of a streak."""
    day = position(streak, cycle_days)
    earned = 0
    for entry_day, points in sorted((int(d), int(p)) for d, p in rewards):
        if entry_day <= day:
            earned = points
        else:
            break
    return earned
