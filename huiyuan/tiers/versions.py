"""Tier terms by date (等级规则版本): which threshold and rates are in force on a business date.

A tier's money terms — what a member must reach (basis, threshold, retention, window) and
what the tier gives (discount, category discounts, points multiplier) — change from a chosen
business date (Asia/Shanghai), never backwards. The versions live on the tier row
(``Tier.versions``), oldest first; the first one (``effective_from`` null) holds the terms the
tier had before its first edit. Resolving is pure and in memory, so a sale that reads the
ladder in one query still gets the terms of its own business date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from huiyuan.tiers.models import Tier

TERM_FIELDS = (
    "basis",
    "threshold",
    "retention",
    "window_days",
    "discount_permille",
    "points_multiplier_pct",
    "category_discounts",
)


def terms_of(tier: Tier) -> dict[str, Any]:
    """The terms the tier instance carries now (its columns, or an applied version)."""
    terms = {name: getattr(tier, name) for name in TERM_FIELDS}
    terms["category_discounts"] = dict(terms["category_discounts"] or {})
    return terms


def _from(entry: dict[str, Any]) -> dt.date | None:
    value = entry.get("effective_from")
    return dt.date.fromisoformat(value) if value else None


def version_in_force(tier: Tier, day: dt.date) -> dict[str, Any] | None:
    """The version whose date is the latest on or before ``day``; None: never edited."""
    found = None
    for entry in tier.versions or []:
        start = _from(entry)
        if start is None or start <= day:
            found = entry
    return found


def tier_terms_apply(tier: Tier, day: dt.date) -> Tier:
    """Set the terms in force on ``day`` on the instance (not saved) and return it."""
    entry = version_in_force(tier, day)
    if entry is not None:
        for name in TERM_FIELDS:
            if name in entry["terms"]:
                setattr(tier, name, entry["terms"][name])
    return tier


def tiers_terms_apply(tiers: Iterable[Tier], day: dt.date) -> None:
    for tier in tiers:
        tier_terms_apply(tier, day)


def versions_with(
    tier: Tier,
    *,
    effective_from: dt.date,
    terms: dict[str, Any],
    recorded_at: dt.datetime,
    recorded_by: int | None,
) -> list[dict[str, Any]]:
    """The versions of ``tier`` (as stored: freshly read, no version applied) with ``terms``
    in force from ``effective_from`` (a version of the same date is replaced). The first edit
    keeps the terms before it as the opening version."""
    versions = [dict(v) for v in tier.versions or []]
    if not versions:
        versions = [{"effective_from": None, "terms": terms_of(tier), "recorded_at": None}]
    entry = {
        "effective_from": effective_from.isoformat(),
        "terms": terms,
        "recorded_at": recorded_at.isoformat(),
        "recorded_by": recorded_by,
    }
    versions = [v for v in versions if v.get("effective_from") != entry["effective_from"]]
    versions.append(entry)
    versions.sort(key=lambda v: v.get("effective_from") or "")
    return versions


def tier_versions(tier: Tier, today: dt.date) -> list[dict[str, Any]]:
    """The versions for display, newest first: date, terms, and in force / scheduled / past."""
    entries = list(tier.versions or [])
    if not entries:
        entries = [{"effective_from": None, "terms": terms_of(tier), "recorded_at": None}]
    current = version_in_force(tier, today) or entries[0]
    rows = []
    for entry in entries:
        start = _from(entry)
        if entry is current:
            state = "current"
        elif start is not None and start > today:
            state = "scheduled"
        else:
            state = "past"
        rows.append({"effective_from": start, "terms": entry["terms"], "state": state})
    rows.reverse()
    return rows
