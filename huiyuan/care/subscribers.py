"""Notice rules on domain events: balance and points changes, count cards about to expire.

Each subscriber asks ``wants`` first (a per-process cache of the active notice rules,
refreshed every minute and at once when this process saves a rule), so a shop with no
notice rule pays nothing per sale.
"""

from __future__ import annotations

import time

from huiyuan.care.models import CareRule
from huiyuan.care.rules import serve_event, signed_yuan
from huiyuan.events.models import OutboxEvent
from huiyuan.events.registry import subscriber

CACHE_SECONDS = 60.0
_cache: dict[str, object] = {"at": 0.0, "kinds": frozenset()}


def rules_cache_clear() -> None:
    _cache["at"] = 0.0


def _active_kinds() -> frozenset[str]:
    now = time.monotonic()
    if now - float(_cache["at"]) > CACHE_SECONDS:  # type: ignore[arg-type]
        _cache["kinds"] = frozenset(
            CareRule.objects.filter(is_active=True).values_list("kind", flat=True)
        )
        _cache["at"] = now
    return _cache["kinds"]  # type: ignore[return-value]


def _wants_balance(_name: str) -> bool:
    return CareRule.Kind.BALANCE_CHANGE in _active_kinds()


def _wants_points(_name: str) -> bool:
    return CareRule.Kind.POINTS_CHANGE in _active_kinds()


def _wants_package(_name: str) -> bool:
    return CareRule.Kind.PACKAGE_EXPIRY in _active_kinds()


def _balance_delta(event: OutboxEvent) -> int:
    p = event.payload
    if event.name == "wallet.recharged":
        return int(p.get("principal_fen", 0)) + int(p.get("bonus_fen", 0))
    if event.name == "wallet.refunded":
        return -(int(p.get("principal_fen", 0)) + int(p.get("bonus_clawback_fen", 0)))
    if event.name == "sale.completed":
        return -(int(p.get("paid_principal_fen", 0)) + int(p.get("paid_bonus_fen", 0)))
    return 0


@subscriber(
    "wallet.recharged",
    "wallet.refunded",
    "sale.completed",
    name="care.balance_notice",
    wants=_wants_balance,
)
def balance_notice(event: OutboxEvent) -> None:
    delta = _balance_delta(event)
    if delta:
        serve_event(
            CareRule.Kind.BALANCE_CHANGE, event.member_id, event.pk, {"amount": signed_yuan(delta)}
        )


def _points_delta(event: OutboxEvent) -> int:
    p = event.payload
    if event.name == "points.adjusted":
        return int(p.get("delta", 0))
    if event.name == "sale.completed":
        return int(p.get("points_earned", 0)) - int(p.get("points_used", 0))
    if event.name == "gift.redeemed":
        return -int(p.get("points", 0))
    return 0


@subscriber(
    "points.adjusted",
    "sale.completed",
    "gift.redeemed",
    name="care.points_notice",
    wants=_wants_points,
)
def points_notice(event: OutboxEvent) -> None:
    delta = _points_delta(event)
    if delta:
        amount = f"+{delta}" if delta > 0 else str(delta)
        serve_event(CareRule.Kind.POINTS_CHANGE, event.member_id, event.pk, {"amount": amount})


@subscriber("package.expiring", name="care.package_expiry", wants=_wants_package)
def package_expiry_notice(event: OutboxEvent) -> None:
    p = event.payload
    remaining = p.get("remaining")
    serve_event(
        CareRule.Kind.PACKAGE_EXPIRY,
        event.member_id,
        event.pk,
        {"days": p.get("days_left", ""), "amount": "不限" if remaining is None else remaining},
    )


@subscriber("activity.changed", "activity.ended", name="care.activity_notice")
def activity_notice(event: OutboxEvent) -> None:
    """Send the change notice activities recorded to its participants (once each)."""
    from huiyuan.care.notices import activity_notice_send, notice_for

    p = event.payload
    if event.name == "activity.ended" and p.get("status") != "cancelled":
        return
    if event.name == "activity.changed" and not p.get("notified"):
        return
    notice = notice_for(
        int(p["activity_id"]),
        version=p.get("version"),
        cancelled=event.name == "activity.ended",
    )
    if notice is not None:
        activity_notice_send(notice)
