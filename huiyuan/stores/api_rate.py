"""Per-key request limits for the API: a fixed one-minute window counted in Django's cache.

The counter lives in the cache named by ``settings.API_RATE_LIMIT_CACHE`` (default
``"default"``): with a shared cache (Redis) the limit holds across every web process and
machine; with the local-memory cache each process counts on its own. ``add`` then ``incr``
are atomic in both, so two requests never read the same count.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import DomainError

WINDOW_SECONDS = 60


class RateLimited(DomainError):
    """429: too many requests for this key in the current minute."""

    status = 429
    code = "rate_limited"

    def __init__(self, *, limit: int, retry_after: int) -> None:
        super().__init__(
            _("Too many requests for this API key. Retry after %(seconds)s seconds.")
            % {"seconds": retry_after},
            details={"limit_per_minute": limit, "retry_after": retry_after},
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    count: int
    retry_after: int  # seconds until the window ends


def rate_check(*, key: str, limit: int, now: float | None = None) -> RateDecision:
    """Count one request for ``key`` in the current minute and say whether it is allowed."""
    moment = time.time() if now is None else now
    window = int(moment // WINDOW_SECONDS)
    retry_after = max(1, WINDOW_SECONDS - int(moment % WINDOW_SECONDS))
    cache = caches[getattr(settings, "API_RATE_LIMIT_CACHE", "default")]
    bucket = f"huiyuan:api-rate:{key}:{window}"
    if cache.add(bucket, 1, timeout=WINDOW_SECONDS + 5):
        count = 1
    else:
        try:
            count = cache.incr(bucket)
        except ValueError:  # expired between add and incr
            cache.set(bucket, 1, timeout=WINDOW_SECONDS + 5)
            count = 1
    return RateDecision(count <= limit, limit, count, retry_after)


def rate_require(*, key: str, limit: int, now: float | None = None) -> RateDecision:
    """``rate_check``, raising ``RateLimited`` when over the limit."""
    decision = rate_check(key=key, limit=limit, now=now)
    if not decision.allowed:
        raise RateLimited(limit=limit, retry_after=decision.retry_after)
    return decision
