"""Barcodes: what a scanner reads, checked where the symbology has a checksum.

A 13-digit code is an EAN-13 (the GS1 codes printed on goods sold in China start 690–699)
and must carry its check digit; other codes (a shop's own labels, Code 128 with letters,
EAN-8, UPC-A) are accepted as read.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import ValidationFailed

_BARCODE = re.compile(r"[0-9A-Za-z-]{4,32}")


def ean13_check_digit(first12: str) -> str:
    """The check digit of the 12 digits before it: weights 1 and 3 from the left."""
    if len(first12) != 12 or not first12.isascii() or not first12.isdigit():
        raise ValueError("an EAN-13 check digit needs exactly 12 digits")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def is_valid_ean13(code: str) -> bool:
    return (
        len(code) == 13
        and code.isascii()
        and code.isdigit()
        and ean13_check_digit(code[:12]) == code[12]
    )


def barcode_clean(text: str | None) -> str:
    """The barcode as stored ("" for none); refuse one no scanner reads, or a bad EAN-13."""
    code = (text or "").strip()
    if not code:
        return ""
    if not _BARCODE.fullmatch(code):
        raise ValidationFailed(
            _("A barcode is 4–32 letters, digits or hyphens."),
            code="invalid_barcode",
            field="barcode",
        )
    if len(code) == 13 and code.isdigit() and not is_valid_ean13(code):
        raise ValidationFailed(
            _("This EAN-13 barcode fails its check digit; please scan or type it again."),
            code="invalid_ean13",
            field="barcode",
        )
    return code
