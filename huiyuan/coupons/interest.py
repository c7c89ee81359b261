"""Whether any active template issues on an event: asked on every ``member.registered``
and ``wallet.recharged`` (inside the emitting transaction), so it is answered from a small
per-process cache, refreshed at most every ``TTL_SECONDS`` and cleared when a template
changes. An event no template issues on is then recorded as delivered at once."""

from __future__ import annotations

import time

from django.db import transaction

TTL_SECONDS = 30.0
_cache: dict[str, object] = {"at": None, "names": frozenset()}


def event_wanted(event_name: str) -> bool:
    at = _cache["at"]
    if not isinstance(at, float) or time.monotonic() - at > TTL_SECONDS:
        from huiyuan.coupons.models import CouponTemplate

        names: set[str] = set()
        for issue_on in CouponTemplate.objects.filter(
            status=CouponTemplate.Status.ACTIVE
        ).values_list("issue_on", flat=True):
            names.update(issue_on or ())
        _cache["names"] = frozenset(names)
        _cache["at"] = time.monotonic()
    names_now = _cache["names"]
    assert isinstance(names_now, frozenset)
    return event_name in names_now


def interest_clear() -> None:
    """Forget the cache (now, and again after the commit of the change that called it)."""
    _cache["at"] = None
    transaction.on_commit(lambda: _cache.__setitem__("at", None))
