"""Webhook settings, each read from ``settings`` when set there, else from the environment.

- ``WEBHOOK_ALLOW_PRIVATE_TARGETS`` (``HUIYUAN_WEBHOOK_ALLOW_PRIVATE=1``): allow targets on
  loopback and private networks (a receiver on the same machine, tests). Off by default:
  a subscription cannot make the server call into its own network (SSRF).
- ``WEBHOOK_TIMEOUT_SECONDS`` (``HUIYUAN_WEBHOOK_TIMEOUT``, 10): connect and read timeout.
- ``WEBHOOK_MAX_ATTEMPTS`` (``HUIYUAN_WEBHOOK_MAX_ATTEMPTS``, 12): tries per delivery.
- ``WEBHOOK_DISABLE_AFTER`` (``HUIYUAN_WEBHOOK_DISABLE_AFTER``, 20): consecutive failed
  attempts after which a subscription is disabled.
"""

from __future__ import annotations

import os

from django.conf import settings


def _int(name: str, env: str, default: int) -> int:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(env, "") or default
    return int(value)


def allow_private_targets() -> bool:
    value = getattr(settings, "WEBHOOK_ALLOW_PRIVATE_TARGETS", None)
    if value is None:
        return os.environ.get("HUIYUAN_WEBHOOK_ALLOW_PRIVATE") == "1"
    return bool(value)


def timeout_seconds() -> int:
    return _int("WEBHOOK_TIMEOUT_SECONDS", "HUIYUAN_WEBHOOK_TIMEOUT", 10)


def max_attempts() -> int:
    return _int("WEBHOOK_MAX_ATTEMPTS", "HUIYUAN_WEBHOOK_MAX_ATTEMPTS", 12)


def disable_after() -> int:
    return _int("WEBHOOK_DISABLE_AFTER", "HUIYUAN_WEBHOOK_DISABLE_AFTER", 20)
