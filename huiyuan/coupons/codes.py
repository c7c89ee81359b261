"""Coupon codes: 12 characters from an alphabet without look-alikes (60 random bits), shown
in groups of four; typed or scanned, spaces and dashes are ignored."""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
LENGTH = 12


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(text: str) -> str:
    return (text or "").strip().upper().replace(" ", "").replace("-", "")


def grouped(code: str) -> str:
    """``ABCD2345WXYZ`` → ``ABCD-2345-WXYZ`` for printing."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
