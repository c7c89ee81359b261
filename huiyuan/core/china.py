"""Chinese details done right: mobiles, ID-card checksums, pinyin and lunar dates."""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext_lazy as _
from lunar_python import Lunar, Solar
from pypinyin import Style, lazy_pinyin

from huiyuan.core.errors import ValidationFailed

MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"


def normalize_mobile(raw: str) -> str:
    """Strip spaces, dashes and a +86/86 prefix, then validate a mainland mobile number."""
    mobile = re.sub(r"[\s-]", "", raw or "")
    if mobile.startswith("+86"):
        mobile = mobile[3:]
    elif mobile.startswith("86") and len(mobile) == 13:
        mobile = mobile[2:]
    if not MOBILE_RE.match(mobile):
        raise ValidationFailed(
            _("Enter a valid mainland China mobile number (11 digits starting with 1)."),
            code="invalid_mobile",
            field="mobile",
        )
    return mobile


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def normalize_id_number(raw: str) -> str:
    """Validate an 18-digit resident ID number: format, birth date and GB 11643 checksum."""
    number = (raw or "").strip().upper()
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise ValidationFailed(
            _("An ID number has 18 characters: 17 digits and a digit or X."),
            code="invalid_id_number",
            field="id_number",
        )
    try:
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise ValidationFailed(
            _("The birth date inside this ID number does not exist."),
            code="invalid_id_number",
            field="id_number",
        ) from exc
    if id_check_char(number[:17]) != number[17]:
        raise ValidationFailed(
            _("This ID number fails its checksum; please check it."),
            code="invalid_id_checksum",
            field="id_number",
        )
    return number


def pinyin_full(name: str) -> str:
    return "".join(lazy_pinyin(name)).lower()


def pinyin_initials(name: str) -> str:
    return "".join(
        p[0] for p in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default") if p
    ).lower()


def lunar_to_solar(year: int, month: int, day: int, *, leap: bool = False) -> dt.date:
    """The solar date of a lunar date; refuse a lunar date that does not exist."""
    try:
        solar = Lunar.fromYmd(year, -month if leap else month, day).getSolar()
    except Exception as exc:  # lunar_python raises bare Exceptions for bad dates
        raise ValidationFailed(
            _("This lunar date does not exist."), code="invalid_lunar_date", field="birthday"
        ) from exc
    result = dt.date(solar.getYear(), solar.getMonth(), solar.getDay())
    back = Solar.fromYmd(result.year, result.month, result.day).getLunar()
    if (abs(back.getMonth()), back.getDay(), back.getMonth() < 0) != (month, day, leap):
        raise ValidationFailed(
            _("This lunar date does not exist."), code="invalid_lunar_date", field="birthday"
        )
    return result


def solar_to_lunar(date: dt.date) -> tuple[int, int, int, bool]:
    """(lunar year, month, day, is leap month) of a solar date."""
    lunar = Solar.fromYmd(date.year, date.month, date.day).getLunar()
    return lunar.getYear(), abs(lunar.getMonth()), lunar.getDay(), lunar.getMonth() < 0


def lunar_birthday_in_year(month: int, day: int, year: int) -> dt.date:
    """This year's solar date of a lunar birthday (a missing day 30 falls back to day 29)."""
    for d in (day, day - 1):
        try:
            solar = Lunar.fromYmd(year, month, d).getSolar()
            return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())
        except Exception:  # noqa: BLE001 - lunar_python raises bare Exceptions
            continue
    raise ValidationFailed(_("This lunar date does not exist."), code="invalid_lunar_date")
