"""Business years and text that shows: the tables agree with this Python's Unicode data."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import pytest

from huiyuan.core import bounds
from huiyuan.core.errors import ValidationFailed


def _ranges(codes: list[int]) -> tuple[tuple[int, int], ...]:
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return tuple(ranges)


ALL = range(0x110000)


def test_invisible_ranges_follow_unicodedata():
    invisible = [
        c
        for c in ALL
        if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zs", "Zl", "Zp") or chr(c).isspace()
    ]
    assert bounds.INVISIBLE_RANGES == _ranges(invisible)


def test_space_ranges_follow_str_isspace():
    assert bounds.SPACE_RANGES == _ranges([c for c in ALL if chr(c).isspace()])


@pytest.mark.parametrize(
    "text,visible",
    [
        ("张三", True),
        ("\u200b张三\u200d", True),
        ("", False),
        ("   ", False),
        ("\u200b", False),
        ("\u200c\u200d\ufeff\u2060", False),
        ("\u3000\u00a0\u2028", False),
        ("\x01\x7f", False),
        ("\U000e0020", False),
    ],
)
def test_visible_text(text, visible):
    assert bounds.is_visible(text) is visible
    assert bool(re.search(bounds.VISIBLE_TEXT_PATTERN, text)) is visible


@pytest.mark.parametrize("text", ["x", " x ", "\u200b", "原因"])
def test_non_blank_pattern_is_what_strip_leaves(text):
    assert bool(re.search(bounds.NON_BLANK_PATTERN, text)) is bool(text.strip())


@pytest.mark.parametrize("text", ["", " ", "\u3000\t", "\x1c"])
def test_blank_pattern(text):
    assert not re.search(bounds.NON_BLANK_PATTERN, text)


def test_strip_invisible_keeps_the_inside():
    assert bounds.strip_invisible("\u200b张\u200d三\ufeff ") == "张\u200d三"


@pytest.mark.parametrize("year,ok", [(1999, False), (2000, True), (2100, True), (2101, False)])
def test_business_years(year, ok):
    day = dt.date(year, 6, 1)
    if ok:
        bounds.check_business_moment(day, field="at")
    else:
        with pytest.raises(ValidationFailed) as refused:
            bounds.check_business_moment(day, field="at")
        assert (refused.value.code, refused.value.field) == ("date_out_of_range", "at")
