"""A points explanation in the reader's language, rendered from the engine's structured steps.

The engine (``huiyuan.points.rules``) explains a result as data: ``{"code": "base",
"amount_fen": 12850, ...}``. This module turns each step into a sentence through gettext,
so the console, the API and receipts say the same thing in Chinese or English. Sales stored
before steps were structured carry fixed English sentences; ``as_step`` reads those back
into structured steps, so old receipts render the same way as new ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from huiyuan.core.money import fen_to_yuan_str
from huiyuan.points.rules import Step, step

CONTEXT = "earn step"

ROUNDING = {
    "floor": pgettext_lazy(CONTEXT, "part below a unit dropped"),
    "half_up": pgettext_lazy(CONTEXT, "rounded half up"),
}
WEEKDAYS = {
    1: pgettext_lazy(CONTEXT, "Monday"),
    2: pgettext_lazy(CONTEXT, "Tuesday"),
    3: pgettext_lazy(CONTEXT, "Wednesday"),
    4: pgettext_lazy(CONTEXT, "Thursday"),
    5: pgettext_lazy(CONTEXT, "Friday"),
    6: pgettext_lazy(CONTEXT, "Saturday"),
    7: pgettext_lazy(CONTEXT, "Sunday"),
}
SENTENCES: dict[str, Promise] = {
    "nothing_paid": pgettext_lazy(CONTEXT, "Nothing paid: no points."),
    "no_rule": pgettext_lazy(CONTEXT, "No rule applies: no points."),
    "earn_frozen": pgettext_lazy(CONTEXT, "Earning is frozen for this member: no points."),
    "no_card": pgettext_lazy(CONTEXT, "No member card: no points (points can be added later)."),
    "rule_not_in_effect": pgettext_lazy(CONTEXT, "%(rule)s: not in effect at that time"),
    "rule_other_stores": pgettext_lazy(CONTEXT, "%(rule)s: only at other stores"),
    "rule_other_tiers": pgettext_lazy(CONTEXT, "%(rule)s: only for other tiers"),
    "rule_other_categories": pgettext_lazy(CONTEXT, "%(rule)s: only for other categories"),
    "category_excluded": pgettext_lazy(
        CONTEXT, "%(rule)s: category %(category)s is excluded: no points"
    ),
    "base": pgettext_lazy(
        CONTEXT,
        "%(rule)s: paid %(amount)s, one unit per %(unit)s = %(units)s units (%(rounding)s) "
        "× %(per)s = %(points)s points",
    ),
    "tier": pgettext_lazy(CONTEXT, "Tier %(tier)s: × %(pct)s%%"),
    "benefit": pgettext_lazy(CONTEXT, "Benefit card %(benefit)s: × %(pct)s%%"),
    "points_day": pgettext_lazy(CONTEXT, "Double-points day %(label)s: × %(pct)s%%"),
    "birthday": pgettext_lazy(CONTEXT, "Birthday: × %(pct)s%%"),
    "special_day": pgettext_lazy(CONTEXT, "Special day %(label)s (%(day)s): × %(pct)s%%"),
    "special_date": pgettext_lazy(CONTEXT, "Special day %(day)s: × %(pct)s%%"),
    "special_label": pgettext_lazy(CONTEXT, "Special day %(label)s: × %(pct)s%%"),
    "special_weekday": pgettext_lazy(CONTEXT, "Every %(weekday)s (%(day)s): × %(pct)s%%"),
    "multiplied": pgettext_lazy(CONTEXT, "%(base)s × %(pcts)s = %(points)s points"),
    "multiplied_rounded": pgettext_lazy(
        CONTEXT, "%(base)s × %(pcts)s = %(exact)s, rounded down to %(points)s points"
    ),
    "cap_per_sale": pgettext_lazy(CONTEXT, "Capped at %(cap)s points per sale"),
    "cap_per_day": pgettext_lazy(
        CONTEXT, "Daily cap %(cap)s: %(earned)s earned today, %(room)s left"
    ),
}


def _special(s: Mapping[str, Any]) -> str:
    values = {"day": s.get("day", ""), "pct": s.get("pct", 100), "label": s.get("label", "")}
    if values["label"]:
        return str(SENTENCES["special_day" if values["day"] else "special_label"]) % values
    if s.get("weekday") in WEEKDAYS:
        return str(SENTENCES["special_weekday"]) % {**values, "weekday": WEEKDAYS[s["weekday"]]}
    return str(SENTENCES["special_date"]) % values


def _multiplied(s: Mapping[str, Any]) -> str:
    values = {
        "base": s["base"],
        "pcts": " × ".join(f"{p}%" for p in s["pcts"]),
        "exact": s.get("exact", ""),
        "points": s["points"],
    }
    exact = str(s.get("exact", s["points"]))
    key = "multiplied" if exact == str(s["points"]) else "multiplied_rounded"
    return str(SENTENCES[key]) % values


RENDERERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "base": lambda s: (
        str(SENTENCES["base"])
        % {
            "rule": s["rule"],
            "amount": fen_to_yuan_str(s["amount_fen"]),
            "unit": fen_to_yuan_str(s["unit_fen"]),
            "units": s["units"],
            "rounding": ROUNDING.get(s["rounding"], s["rounding"]),
            "per": s["points_per_unit"],
            "points": s["points"],
        }
    ),
    "special_day": _special,
    "multiplied": _multiplied,
    "cap_per_day": lambda s: (
        str(SENTENCES["cap_per_day"])
        % {"cap": s["cap"], "earned": s["earned_today"], "room": s["room"]}
    ),
}


class StepNames:
    """What the merchant calls a rule and a tier, for steps stored before they carried
    ``rule_name`` / ``tier_name`` (read once, when first needed)."""

    def __init__(self) -> None:
        self._rules: dict[str, str] | None = None
        self._tiers: dict[str, str] | None = None

    def rule(self, label: str) -> str:
        if self._rules is None:
            from huiyuan.points.models import EarnRule

            self._rules = {
                f"{code} v{version}": name
                for code, version, name in EarnRule.objects.values_list("code", "version", "name")
            }
        return self._rules.get(label, label)

    def tier(self, code: str) -> str:
        if self._tiers is None:
            model = apps.get_model("tiers", "Tier")
            self._tiers = dict(model.objects.values_list("code", "name"))
        return self._tiers.get(code, code)


def _named(s: Step, names: StepNames) -> Step:
    """The step with its rule and tier called by their names, not their codes."""
    if "rule" not in s and "tier" not in s:
        return s
    named = dict(s)
    if isinstance(s.get("rule"), str):
        named["rule"] = s.get("rule_name") or names.rule(s["rule"])
    if isinstance(s.get("tier"), str):
        named["tier"] = s.get("tier_name") or names.tier(s["tier"])
    return named


def render_step(raw: Step | str, names: StepNames | None = None) -> str:
    """One step as a sentence in the active language (an unknown step as it was stored).

    Rules and tiers are called by their names (``rule_name``/``tier_name``, or read through
    ``names`` for older steps); the numbers are the step's own.
    """
    s = _named(as_step(raw), names or StepNames())
    code = s.get("code")
    try:
        if code in RENDERERS:
            return RENDERERS[code](s)
        if code in SENTENCES:
            return str(SENTENCES[code]) % s
    except (KeyError, TypeError, ValueError):
        pass
    if code == "text":
        return str(s.get("text", ""))
    return str(raw)


def render_steps(steps: Iterable[Step | str] | None) -> list[str]:
    names = StepNames()
    return [render_step(s, names) for s in steps or []]


def _exact(base: int, pct: int) -> str:
    whole, rest = divmod(base * pct, 100)
    return f"{whole}.{rest:02d}".rstrip("0") if rest else str(whole)


# Sales written before steps were structured: their fixed English sentences, read back.
_RULE = r"(?P<rule>\S+ v\d+)"
_LEGACY: list[tuple[re.Pattern[str], Callable[[dict[str, str]], Step]]] = [
    (re.compile(r"^nothing paid: no points$"), lambda g: step("nothing_paid")),
    (re.compile(r"^no rule applies: no points$"), lambda g: step("no_rule")),
    (re.compile(r"^earning is frozen for this member$"), lambda g: step("earn_frozen")),
    (re.compile(r"^no member card: no points.*$"), lambda g: step("no_card")),
    (re.compile(rf"^{_RULE}: not in effect$"), lambda g: step("rule_not_in_effect", **g)),
    (re.compile(rf"^{_RULE}: other stores only$"), lambda g: step("rule_other_stores", **g)),
    (re.compile(rf"^{_RULE}: other tiers only$"), lambda g: step("rule_other_tiers", **g)),
    (
        re.compile(rf"^{_RULE}: other categories only$"),
        lambda g: step("rule_other_categories", **g),
    ),
    (
        re.compile(rf"^{_RULE}: category (?P<category>.+) excluded$"),
        lambda g: step("category_excluded", **g),
    ),
    (
        re.compile(
            rf"^{_RULE}: (?P<amount>\d+) fen / (?P<unit>\d+) = (?P<units>\d+) units "
            r"\((?P<rounding>\w+)\) x (?P<per>\d+) = (?P<points>\d+) points$"
        ),
        lambda g: step(
            "base",
            rule=g["rule"],
            amount_fen=int(g["amount"]),
            unit_fen=int(g["unit"]),
            units=int(g["units"]),
            rounding=g["rounding"],
            points_per_unit=int(g["per"]),
            points=int(g["points"]),
        ),
    ),
    (
        re.compile(r"^tier (?P<tier>\S*): x(?P<pct>\d+)%$"),
        lambda g: step("tier", tier=g["tier"], pct=int(g["pct"])),
    ),
    (re.compile(r"^birthday: x(?P<pct>\d+)%$"), lambda g: step("birthday", pct=int(g["pct"]))),
    (
        re.compile(r"^special day (?P<label>.+): x(?P<pct>\d+)%$"),
        lambda g: step("special_day", day="", label=g["label"], pct=int(g["pct"])),
    ),
    (
        re.compile(r"^(?P<base>\d+) x (?P<pct>\d+)% = (?P<points>\d+) points \(rounded down\)$"),
        lambda g: step(
            "multiplied",
            base=int(g["base"]),
            pcts=[int(g["pct"])],
            exact=_exact(int(g["base"]), int(g["pct"])),
            rounding="floor",
            points=int(g["points"]),
        ),
    ),
    (
        re.compile(r"^capped at (?P<cap>\d+) per sale$"),
        lambda g: step("cap_per_sale", cap=int(g["cap"])),
    ),
    (
        re.compile(r"^daily cap (?P<cap>\d+): (?P<earned>\d+) earned today, (?P<room>\d+) left$"),
        lambda g: step(
            "cap_per_day", cap=int(g["cap"]), earned_today=int(g["earned"]), room=int(g["room"])
        ),
    ),
]


def as_step(raw: Step | str | Any) -> Step:
    """A stored step as structured data: new steps as they are, old sentences parsed
    (``{"code": "text", "text": ...}`` when a sentence is not recognised)."""
    if isinstance(raw, dict):
        return raw
    text = str(raw)
    for pattern, build in _LEGACY:
        match = pattern.match(text)
        if match:
            return build(match.groupdict())
    return step("text", text=text)


def as_steps(steps: Iterable[Step | str] | None) -> list[Step]:
    return [as_step(s) for s in steps or []]
