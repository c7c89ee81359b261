"""The earn-rule engine: pure functions, no database. Every result explains itself, step by
step, as data (``Step``) that ``huiyuan.points.explain`` renders in the reader's language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from huiyuan.core.clock import local_date


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
    tier_name: str = ""  # what the explanation calls the tier (looked up by code when empty)
    tier_multiplier_pct: int = 100
    benefit_code: str = ""  # a paid benefit card's multiplier (huiyuan.benefits)
    benefit_multiplier_pct: int = 100
    boost_label: str = ""  # a double-points day's multiplier (huiyuan.activities)
    boost_multiplier_pct: int = 100
    is_birthday: bool = False
    earned_today: int = 0  # points the member earned earlier on the same business date

    @property
    def business_date(self) -> dt.date:
        """The local date of the sale: what special days and weekdays are matched against."""
        return local_date(self.at)


Step = dict[str, Any]
"""One step of an explanation: ``{"code": ..., **parameters}``, rendered per language by
``huiyuan.points.explain``. A step naming a rule carries ``rule`` ("code vN") and
``rule_name`` (the merchant's name for it); the tier step ``tier`` (code) and, when the
caller knows it, ``tier_name`` (else the renderer looks the name up).
Codes: nothing_paid, no_rule, rule_not_in_effect,
rule_other_stores, rule_other_tiers, rule_other_categories, category_excluded, base, tier,
birthday, special_day, multiplied, cap_per_sale, cap_per_day (and, written by the sale,
earn_frozen and no_card)."""


def step(code: str, **parameters: Any) -> Step:
    return {"code": code, **parameters}


@dataclass
class EarnResult:
    points: int = 0
    rule: RuleSpec | None = None
    steps: list[Step] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "points": self.points,
            "rule": _label(self.rule) if self.rule else None,
            "rule_id": self.rule.id if self.rule else None,
            "steps": self.steps,
        }


def no_points(code: str, **parameters: Any) -> EarnResult:
    """A result of no points for a reason outside the rules (``earn_frozen``, ``no_card``)."""
    return EarnResult(steps=[step(code, **parameters)])


def _label(rule: RuleSpec) -> str:
    return f"{rule.code} v{rule.version}"


def _out_of_scope(rule: RuleSpec, ctx: EarnContext) -> str | None:
    """Why the rule does not cover this sale at all (time, store, tier); None if it does."""
    if ctx.at < rule.effective_from or (rule.effective_to and ctx.at >= rule.effective_to):
        return "rule_not_in_effect"
    if rule.store_ids and ctx.store_id not in rule.store_ids:
        return "rule_other_stores"
    if rule.tier_codes and ctx.tier_code not in rule.tier_codes:
        return "rule_other_tiers"
    return None


def _special_day(rule: RuleSpec, day: dt.date) -> Step | None:
    """The first special day of the rule matching the business date ``day``."""
    for special in rule.special_days:
        by_date = special.get("date") == day.isoformat()
        if by_date or special.get("weekday") == day.isoweekday():
            found = step(
                "special_day",
                day=day.isoformat(),
                label=str(special.get("label") or ""),
                pct=int(special.get("multiplier_pct", 100)),
            )
            if not by_date:
                found["weekday"] = day.isoweekday()
            return found
    return None


def _decimal(numerator: int, denominator: int) -> str:
    """``numerator / denominator`` written out exactly (the denominator is a power of 100)."""
    whole, rest = divmod(numerator, denominator)
    if not rest:
        return str(whole)
    digits = len(str(denominator)) - 1
    fraction = f"{rest * 10**digits // denominator:0{digits}d}".rstrip("0")
    return f"{whole}.{fraction}"


def compute_earn(rules: list[RuleSpec], ctx: EarnContext) -> EarnResult:
    """Points for a sale: the first rule by priority that covers it, every step explained.

    A rule covers a sale when it is in effect at that moment and its stores and tiers match.
    If the first covering rule excludes the sale's category, the sale earns nothing (an
    exclusion is not a reason to look further); a rule for other categories only is passed
    over. Special days and weekdays are the business (local) date of ``ctx.at``.

    The arithmetic, declared once:
      1. units = amount ÷ the rule's unit, by the rule's own rounding (floor: the part below
         a full unit earns nothing; half_up); base = units × points per unit;
      2. points = base × every multiplier (tier, benefit card, birthday, special day, in
         whole percent),
         computed exactly in integers and rounded down (floor) once, here;
      3. then the cap per sale, then what is left of the cap per member and day.
    """
    result = EarnResult()
    if ctx.amount_fen <= 0:
        result.steps.append(step("nothing_paid"))
        return result
    rule = None
    for candidate in sorted(rules, key=lambda r: (r.priority, r.code, -r.version)):
        miss = _out_of_scope(candidate, ctx)
        if miss is not None:
            result.steps.append(step(miss, rule=_label(candidate), rule_name=candidate.name))
            continue
        if ctx.category and ctx.category in candidate.excluded_categories:
            result.rule = candidate
            result.steps.append(
                step(
                    "category_excluded",
                    rule=_label(candidate),
                    rule_name=candidate.name,
                    category=ctx.category,
                )
            )
            return result
        if candidate.categories and ctx.category not in candidate.categories:
            result.steps.append(
                step("rule_other_categories", rule=_label(candidate), rule_name=candidate.name)
            )
            continue
        rule = candidate
        break
    if rule is None:
        result.steps.append(step("no_rule"))
        return result
    result.rule = rule

    units, remainder = divmod(ctx.amount_fen, rule.unit_fen)
    if rule.rounding == "half_up" and remainder * 2 >= rule.unit_fen:
        units += 1
    base = units * rule.points_per_unit
    result.steps.append(
        step(
            "base",
            rule=_label(rule),
            rule_name=rule.name,
            amount_fen=ctx.amount_fen,
            unit_fen=rule.unit_fen,
            units=units,
            rounding=rule.rounding,
            points_per_unit=rule.points_per_unit,
            points=base,
        )
    )

    pcts: list[int] = []
    if ctx.tier_multiplier_pct != 100:
        pcts.append(ctx.tier_multiplier_pct)
        named = {"tier_name": ctx.tier_name} if ctx.tier_name else {}
        result.steps.append(step("tier", tier=ctx.tier_code, **named, pct=ctx.tier_multiplier_pct))
    if ctx.benefit_multiplier_pct != 100:
        pcts.append(ctx.benefit_multiplier_pct)
        result.steps.append(
            step("benefit", benefit=ctx.benefit_code, pct=ctx.benefit_multiplier_pct)
        )
    if ctx.boost_multiplier_pct != 100:
        pcts.append(ctx.boost_multiplier_pct)
        result.steps.append(step("points_day", label=ctx.boost_label, pct=ctx.boost_multiplier_pct))
    if ctx.is_birthday and rule.birthday_multiplier_pct != 100:
        pcts.append(rule.birthday_multiplier_pct)
        result.steps.append(step("birthday", pct=rule.birthday_multiplier_pct))
    special = _special_day(rule, ctx.business_date)
    if special is not None and special["pct"] != 100:
        pcts.append(special["pct"])
        result.steps.append(special)
    numerator, denominator = base, 1
    for pct in pcts:
        numerator, denominator = numerator * pct, denominator * 100
    points = numerator // denominator  # the one rounding: floor, after every multiplier
    if pcts:
        result.steps.append(
            step(
                "multiplied",
                base=base,
                pcts=pcts,
                exact=_decimal(numerator, denominator),
                rounding="floor",
                points=points,
            )
        )

    if rule.cap_per_sale is not None and points > rule.cap_per_sale:
        result.steps.append(step("cap_per_sale", cap=rule.cap_per_sale, points_before=points))
        points = rule.cap_per_sale
    if rule.cap_per_day is not None:
        room = max(0, rule.cap_per_day - ctx.earned_today)
        if points > room:
            result.steps.append(
                step("cap_per_day", cap=rule.cap_per_day, earned_today=ctx.earned_today, room=room)
            )
            points = room
    result.points = points
    return result
