"""API key scopes: a small fixed set of grants, each a set of permissions.

A key acts with what its role allows AND what its scopes allow (``Actor.scope_perms``); a
request whose role would allow it but whose scopes do not is refused with
``scope_missing`` (403). ``all`` grants everything the role allows — the keys made before
scopes existed have it, so nothing they did stops working.

Permissions are mapped by name: the explicit table first, then by their suffix (``.view``
reads, ``.configure``/``.manage`` configure), so a permission added later lands in a scope
without touching this file (``test_api_scopes`` checks every permission has one).
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from huiyuan.core.permissions import Perm


class Scope(StrEnum):
    ALL = "all"
    MEMBERS_READ = "members:read"
    MEMBERS_WRITE = "members:write"
    SELL = "sell"
    RECHARGE = "recharge"
    POINTS = "points"
    REPORTS = "reports"
    CONFIGURE = "configure"


SCOPE_LABELS: dict[Scope, str | Promise] = {
    Scope.ALL: _("Everything the role allows"),
    Scope.MEMBERS_READ: _("Read members and cards"),
    Scope.MEMBERS_WRITE: _("Register and update members and cards"),
    Scope.SELL: _("Sell (checkout, returns)"),
    Scope.RECHARGE: _("Recharge and refund stored value"),
    Scope.POINTS: _("Adjust points"),
    Scope.REPORTS: _("Read reports, events and settings"),
    Scope.CONFIGURE: _("Configure (card types, rules, catalog, stores…)"),
}

# Explicit grants, by permission name (a name not defined yet is simply never matched).
_EXPLICIT: dict[str, frozenset[Scope]] = {
    "member.view": frozenset({Scope.MEMBERS_READ}),
    "member.view_pii": frozenset({Scope.MEMBERS_READ}),
    "member.export": frozenset({Scope.MEMBERS_READ}),
    "member.create": frozenset({Scope.MEMBERS_WRITE}),
    "member.edit": frozenset({Scope.MEMBERS_WRITE}),
    "member.freeze": frozenset({Scope.MEMBERS_WRITE}),
    "member.cancel": frozenset({Scope.MEMBERS_WRITE}),
    "member.terminate": frozenset({Scope.MEMBERS_WRITE}),
    "member.merge": frozenset({Scope.MEMBERS_WRITE}),
    "card.issue": frozenset({Scope.MEMBERS_WRITE}),
    "card.manage": frozenset({Scope.MEMBERS_WRITE}),
    "card.activate": frozenset({Scope.MEMBERS_WRITE, Scope.RECHARGE}),
    "tier.move": frozenset({Scope.MEMBERS_WRITE}),
    "checkin.record": frozenset({Scope.MEMBERS_WRITE}),
    "coupon.issue": frozenset({Scope.MEMBERS_WRITE, Scope.SELL}),
    "activity.signup": frozenset({Scope.MEMBERS_WRITE, Scope.SELL}),
    "followup.work": frozenset({Scope.MEMBERS_WRITE}),  # a call-center system logging calls
    "feedback.manage": frozenset({Scope.MEMBERS_WRITE}),
    "sale.create": frozenset({Scope.SELL}),
    "sale.reverse": frozenset({Scope.SELL}),
    "gift.redeem": frozenset({Scope.SELL}),
    "catalog.view": frozenset({Scope.SELL, Scope.REPORTS}),
    "wallet.recharge": frozenset({Scope.RECHARGE}),
    "wallet.refund": frozenset({Scope.RECHARGE}),
    "wallet.batch": frozenset({Scope.RECHARGE}),
    "referral.payout": frozenset({Scope.RECHARGE}),  # commission into stored value (bonus)
    "card_batch.sell": frozenset({Scope.RECHARGE}),
    "points.adjust": frozenset({Scope.POINTS}),
    "catalog.store_price": frozenset({Scope.CONFIGURE}),
    "card_batch.export": frozenset({Scope.CONFIGURE}),
    "event.retry": frozenset({Scope.CONFIGURE}),
    "report.schedule": frozenset({Scope.CONFIGURE}),  # e-mailed reports (docs/analytics.md)
}


def scopes_granting(perm: Perm) -> frozenset[Scope]:
    """The scopes that allow ``perm`` (``all`` always does)."""
    found = set(_EXPLICIT.get(perm.value, ()))
    if not found:
        if perm.value.endswith(".view"):
            found.add(Scope.REPORTS)
        elif perm.value.endswith((".configure", ".manage")) or perm.value.startswith("import."):
            found.add(Scope.CONFIGURE)
    return frozenset(found | {Scope.ALL})


def scope_perms(scopes: list[str] | tuple[str, ...] | frozenset[str]) -> frozenset[Perm] | None:
    """What ``scopes`` allow; None (no limit) when they include ``all``."""
    valid = {s.value for s in Scope}
    chosen = {Scope(s) for s in scopes if s in valid}
    if Scope.ALL in chosen:
        return None
    return frozenset(p for p in Perm if scopes_granting(p) & chosen)


def scopes_clean(scopes: list[str] | tuple[str, ...]) -> list[str]:
    """The known scopes among ``scopes``, in the table's order, without repeats."""
    wanted = set(scopes)
    return [s.value for s in Scope if s.value in wanted]
