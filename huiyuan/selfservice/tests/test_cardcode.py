"""The rotating member code: valid for the current and previous 30-second step only."""

from __future__ import annotations

from huiyuan.selfservice.cardcode import (
    STEP_SECONDS,
    card_code_now,
    card_code_resolve,
    looks_like_card_code,
)

T = 1_800_000_000.0  # a fixed moment, at the start of a step


def test_code_shape_and_resolution():
    code = card_code_now(42, at=T)
    assert len(code) == 18 and code.startswith("880000000042")
    assert looks_like_card_code(code)
    assert card_code_resolve(code, at=T) == 42
    assert card_code_resolve(code, at=T + STEP_SECONDS) == 42  # the previous step still works
    assert card_code_resolve(code, at=T + 2 * STEP_SECONDS) is None  # a screenshot a minute on


def test_forged_codes_are_refused():
    code = card_code_now(42, at=T)
    other = card_code_now(43, at=T)
    assert card_code_resolve(code[:12] + other[12:], at=T) is None  # another card's MAC
    assert card_code_resolve("88" + "0" * 16, at=T) is None
    assert card_code_resolve("6663564386624464", at=T) is None  # a card number is not a code
    assert card_code_resolve("", at=T) is None
