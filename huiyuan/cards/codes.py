"""Secret codes of pre-made cards (卡密): made at random, kept as a keyed hash.

A code is ``CODE_LENGTH`` characters drawn with ``secrets`` from an alphabet without the
characters people confuse (0/O, 1/I/L): 31 symbols, 16 of them ≈ 79 bits, far beyond
guessing within the attempt limits (``huiyuan/cards/activation.py``). It is printed in
groups of four (``ABCD-EFGH-JKMN-PQRS``); what staff type is normalised (full-width
characters, lower case, spaces and dashes) before it is compared.

Stored: ``code_hash`` = HMAC-SHA256 under the personal-data key of the card number and the
code, compared in constant time; the code itself only encrypted (Fernet, the same key as ID
numbers) while it can still be used, so that the owner can print the sheet again — erased
when the card is activated or voided.
"""

from __future__ import annotations

import hmac
import secrets
import unicodedata

from huiyuan.core import pii

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 16
GROUP = 4


def code_new() -> str:
    """A fresh random code (upper case, no separators)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def code_normalize(text: str) -> str:
    """What was typed or scanned, as a code: upper case, no spaces or dashes.

    Returns "" for text that cannot be a code (wrong length or characters), so that a
    look-up never runs on it.
    """
    text = unicodedata.normalize("NFKC", text or "").upper()
    text = "".join(ch for ch in text if ch not in " -_\t\r\n")
    if len(text) != CODE_LENGTH or any(ch not in ALPHABET for ch in text):
        return ""
    return text


def code_display(code: str) -> str:
    """``ABCDEFGHJKMNPQRS`` → ``ABCD-EFGH-JKMN-PQRS``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def code_hash(number: str, code: str) -> str:
    """The keyed hash stored for the card ``number`` and its ``code``."""
    return pii.keyed_hash(f"card-code\x1f{number}\x1f{code}")


def code_matches(stored_hash: str, number: str, code: str) -> bool:
    """Whether ``code`` (normalised) is the card's code; constant time."""
    if not code or not stored_hash:
        return False
    return hmac.compare_digest(stored_hash, code_hash(number, code))


def code_seal(code: str) -> str:
    """The code encrypted for re-printing."""
    return pii.encrypt(code)


def code_unseal(token: str) -> str:
    return pii.decrypt(token)
