"""The rotating member code a member's phone shows and the counter scans (U2).

A code is 18 digits: ``88``, the card id in 10 digits, and a 6-digit MAC of the card id
and the current 30-second step (keyed with the server's secret). The counter accepts the
current and the previous step, so a code lives 30–60 seconds: a screenshot stops working
within a minute, and nobody can make a code without the server's key. Digits only, so
any barcode scanner (Code 128) and any keyboard can enter it.
"""

from __future__ import annotations

import re
import time

from django.utils.crypto import constant_time_compare, salted_hmac

PREFIX = "88"
STEP_SECONDS = 30
STEPS_ACCEPTED = 2  # the current step and the one before it
_PATTERN = re.compile(rf"^{PREFIX}(\d{{10}})(\d{{6}})$")


def _step(at: float | None) -> int:
    return int((time.time() if at is None else at) // STEP_SECONDS)


def _mac(card_id: int, step: int) -> str:
    digest = salted_hmac("huiyuan.selfservice.cardcode", f"{card_id}:{step}").digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def card_code_now(card_id: int, *, at: float | None = None) -> str:
    """The code to show for ``card_id`` now (``at``: a UNIX time, for tests)."""
    return f"{PREFIX}{card_id:010d}{_mac(card_id, _step(at))}"


def seconds_left(*, at: float | None = None) -> int:
    """Seconds until the code shown now is replaced by the next one."""
    now = time.time() if at is None else at
    return STEP_SECONDS - int(now % STEP_SECONDS)


def looks_like_card_code(text: str) -> bool:
    return bool(_PATTERN.match(text or ""))


def card_code_resolve(text: str, *, at: float | None = None) -> int | None:
    """The card id a scanned code names, or None (not a code, forged, or expired)."""
    match = _PATTERN.match(text or "")
    if match is None:
        return None
    card_id = int(match.group(1))
    step = _step(at)
    for back in range(STEPS_ACCEPTED):
        if constant_time_compare(match.group(2), _mac(card_id, step - back)):
            return card_id
    return None
