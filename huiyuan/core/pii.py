"""Personal data at rest: encryption, keyed search hashes and masking."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet
from django.conf import settings


@cache
def _key_material() -> bytes:
    secret = settings.PII_KEY or f"pii:{settings.SECRET_KEY}"
    return hashlib.sha256(secret.encode()).digest()


@cache
def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_key_material()))


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    return _fernet().decrypt(token.encode()).decode()


def keyed_hash(value: str) -> str:
    """A stable keyed hash for exact look-ups of encrypted values (not reversible)."""
    return hmac.new(_key_material(), value.encode(), hashlib.sha256).hexdigest()


def mask_mobile(mobile: str) -> str:
    if len(mobile) < 7:
        return "*" * len(mobile)
    return f"{mobile[:3]}****{mobile[-4:]}"


def mask_id_number(number: str) -> str:
    if len(number) < 8:
        return "*" * len(number)
    return f"{number[:3]}{'*' * (len(number) - 7)}{number[-4:]}"


def mask_text(text: str) -> str:
    if not text:
        return ""
    return text[:3] + "****" if len(text) > 3 else "****"
