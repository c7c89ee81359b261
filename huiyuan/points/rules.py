"""The earn-rule engine: pure functions, no database. Every result explains itself."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RuleSpec:
    """An earn rule as data (a snapshot of ``EarnRule``)."""

    id: int
    code: str
    version: int
    name: str
    priority: int
    effective_from: dt.datetime
    effective_to: dt.datetime | None
    unit_fen: int
    points_per_unit: int
    rounding: str
    store_ids: tuple[int, ...] = ()
    tier_codes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    excluded_categories: tuple[str, ...] = ()
    birthday_multiplier_pct: int = 100
    special_days: tuple[dict[str, Any], ...] = ()
    cap_per_sale: int | None = None
    cap_per_day: int | None = None


@dataclass(frozen=True)
class EarnContext:
    amount_fen: int  # the amount actually paid (after discounts and points offset)
    at: dt.datetime
    store_id: int | None
    category: str = ""
    tier_code: str = ""
    tier_multiplier_pct: int = 100
    is_birthday: bool = False
    earned_today: int = 0


@dataclass
class EarnResult:
    points: int = 0
    rule: RuleSpec | None = None
    steps: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "points": self.points,
            "rule": f"{self.rule.code} v{self.rule.version}" if self.rule else None,
            "rule_id": self.rule.id if self.rule else None,
            "steps": self.steps,
        }


def applies(rule: RuleSpec, ctx: EarnContext) -> str | None:
    """None when the rule applies; otherwise the reason it does not."""
    if ctx.at < rule.effective_from or (rule.effective_to and ctx.at >= rule.effective_to):
        return "not in effect"
    if rule.store_ids and ctx.store_id not in rule.store_ids:
        return "other stores only"
    if rule.tier_codes and ctx.tier_code not in rule.tier_codes:
        return "other tiers only"
    if rule.categories and ctx.category not in rule.categories:
        return "other categories only"
    if ctx.category and ctx.category in rule.excluded_categories:
        return f"category {ctx.category} excluded"
    return None


def _special_multiplier(rule: RuleSpec, day: dt.date) -> tuple[int, str] | None:
    for special in rule.special_days:
        if special.get("date") == day.isoformat() or special.get("weekday") == day.isoweekday():
            return int(special.get("multiplier_pct", 100)), str(
                special.get("label") or special.get("date") or f"weekday {day.isoweekday()}"
            )
    return None


def compute_earn(rules: list[RuleSpec], ctx: EarnContext) -> EarnResult:
    """Points for a sale: the first applicable rule by priority, with every step explained.

    Multipliers (tier, birthday, special day) multiply the base in whole percent; the
    result is rounded down to whole points once, at the end; caps apply last.
    """
    result = EarnResult()
    if ctx.amount_fen <= 0:
        result.steps.append("nothing paid: no points")
        return result
    candidates = sorted(rules, key=lambda r: (r.priority, r.code, -r.version))
    rule = None
    for candidate in candidates:
        reason = applies(candidate, ctx)
        if reason is None:
            rule = candidate
            break
        result.steps.append(f"{candidate.code} v{candidate.version}: {reason}")
    if rule is None:
        result.steps.append("no rule applies: no points")
        return result
    result.rule = rule
    units, remainder = divmod(ctx.amount_fen, rule.unit_fen)
    if rule.rounding == "half_up" and remainder * 2 >= rule.unit_fen:
        units += 1
    base = units * rule.points_per_unit
    result.steps.append(
        f"{rule.code} v{rule.version}: {ctx.amount_fen} fen / {rule.unit_fen} = {units} units "
        f"({rule.rounding}) x {rule.points_per_unit} = {base} points"
    )
    pct = 100
    if ctx.tier_multiplier_pct != 100:
        pct = pct * ctx.tier_multiplier_pct // 100
        result.steps.append(f"tier {ctx.tier_code}: x{ctx.tier_multiplier_pct}%")
    if ctx.is_birthday and rule.birthday_multiplier_pct != 100:
        pct = pct * rule.birthday_multiplier_pct // 100
        result.steps.append(f"birthday: x{rule.birthday_multiplier_pct}%")
    special = _special_multiplier(rule, ctx.at.date())
    if special and special[0] != 100:
        pct = pct * special[0] // 100
        result.steps.append(f"special day {special[1]}: x{special[0]}%")
    points = base * pct // 100
    if pct != 100:
        result.steps.append(f"{base} x {pct}% = {points} points (rounded down)")
    if rule.cap_per_sale is not None and points > rule.cap_per_sale:
        points = rule.cap_per_sale
        result.steps.append(f"capped at {rule.cap_per_sale} per sale")
    if rule.cap_per_day is not None:
        room = max(0, rule.cap_per_day - ctx.earned_today)
        if points > room:
            points = room
            result.steps.append(
                f"daily cap {rule.cap_per_day}: {ctx.earned_today} earned today, {room} left"
            )
    result.points = points
    return result
