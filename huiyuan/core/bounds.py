"""Limits every interface and service shares: business years, text that says something.

- A business moment (a report's end, a rule's start, a dry run's time, a protection date)
  lies in ``BUSINESS_YEARS``. Far outside it, converting between time zones overflows
  (``0001-01-01T00:00:00+08:00`` is in year 0 in UTC).
- Blank is not only spaces: a name of zero-width spaces (U+200B), joiners, BOMs or control
  characters shows nothing either. ``is_visible`` says whether text has one character that
  shows; ``VISIBLE_TEXT_PATTERN`` says the same as a regular expression (for OpenAPI).
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import ValidationFailed

BUSINESS_YEARS = (2000, 2100)

# Code points that show nothing: categories Cc, Cf, Zs, Zl, Zp and whatever ``str.isspace``
# calls space (Unicode 14; ``test_bounds`` re-derives them from ``unicodedata``).
INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x0020),
    (0x007F, 0x00A0),
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x1680, 0x1680),
    (0x180E, 0x180E),
    (0x2000, 0x200F),
    (0x2028, 0x202F),
    (0x205F, 0x2064),
    (0x2066, 0x206F),
    (0x3000, 0x3000),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
INVISIBLE = frozenset(chr(c) for start, end in INVISIBLE_RANGES for c in range(start, end + 1))


# What ``str.strip()`` removes (``str.isspace``): a reason of these alone is blank.
SPACE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0009, 0x000D),
    (0x001C, 0x0020),
    (0x0085, 0x0085),
    (0x00A0, 0x00A0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
)


def _escape(code: int) -> str:
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _outside(ranges: tuple[tuple[int, int], ...]) -> str:
    """A character class of every code point outside ``ranges`` (engine-neutral escapes)."""
    return (
        "[^"
        + "".join(_escape(a) if a == b else f"{_escape(a)}-{_escape(b)}" for a, b in ranges)
        + "]"
    )


# Unanchored, as JSON Schema and pydantic read patterns: "contains one character that shows"
# and "contains one character that is not space" (what ``str.strip()`` leaves).
VISIBLE_TEXT_PATTERN = _outside(INVISIBLE_RANGES)
# One character that ``str.strip()`` removes.
SPACE_CLASS = "[" + _outside(SPACE_RANGES)[2:]
NON_BLANK_PATTERN = _outside(SPACE_RANGES)


def is_visible(text: str) -> bool:
    """True when ``text`` has at least one character that shows."""
    return any(ch not in INVISIBLE for ch in text)


def strip_invisible(text: str) -> str:
    """``text`` without invisible characters at either end."""
    start, end = 0, len(text)
    while start < end and text[start] in INVISIBLE:
        start += 1
    while end > start and text[end - 1] in INVISIBLE:
        end -= 1
    return text[start:end]


def in_business_years(moment: dt.date) -> bool:
    first, last = BUSINESS_YEARS
    return first <= moment.year <= last


def check_business_moment(moment: dt.date | None, *, field: str) -> None:
    """Refuse a date or moment outside ``BUSINESS_YEARS`` (code ``date_out_of_range``)."""
    if moment is not None and not in_business_years(moment):
        first, last = BUSINESS_YEARS
        raise ValidationFailed(
            _("Choose a date in the years %(first)s–%(last)s.") % {"first": first, "last": last},
            code="date_out_of_range",
            field=field,
        )
