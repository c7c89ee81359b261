"""A sale's points explanation, step by step, in the reader's language."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext_lazy, pgettext_lazy

from huiyuan.core.money import fen_to_yuan_str

# The rules engine explains its points in plain, fixed English; staff read it in Chinese.
_STEP_PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(
            r"^(?P<rule>\S+ v\d+): (?P<amount>\d+) fen / (?P<unit>\d+) = (?P<units>\d+) units "
            r"\((?P<rounding>\w+)\) x (?P<per>\d+) = (?P<base>\d+) points$"
        ),
        gettext_lazy(
            "%(rule)s: paid %(amount)s, per %(unit)s = %(units)s units (%(rounding)s) "
            "× %(per)s = %(base)s points"
        ),
    ),
    (
        re.compile(r"^tier (?P<tier>\S*): x(?P<pct>\d+)%$"),
        gettext_lazy("tier %(tier)s: × %(pct)s%%"),
    ),
    (re.compile(r"^birthday: x(?P<pct>\d+)%$"), gettext_lazy("birthday: × %(pct)s%%")),
    (
        re.compile(r"^special day (?P<label>.+): x(?P<pct>\d+)%$"),
        gettext_lazy("special day %(label)s: × %(pct)s%%"),
    ),
    (
        re.compile(r"^(?P<base>\d+) x (?P<pct>\d+)% = (?P<points>\d+) points \(rounded down\)$"),
        gettext_lazy("%(base)s × %(pct)s%% = %(points)s points (rounded down)"),
    ),
    (
        re.compile(r"^capped at (?P<cap>\d+) per sale$"),
        gettext_lazy("capped at %(cap)s points per sale"),
    ),
    (
        re.compile(r"^daily cap (?P<cap>\d+): (?P<earned>\d+) earned today, (?P<room>\d+) left$"),
        gettext_lazy("daily cap %(cap)s: %(earned)s earned today, %(room)s left"),
    ),
    (re.compile(r"^(?P<rule>\S+ v\d+): not in effect$"), gettext_lazy("%(rule)s: not in effect")),
    (
        re.compile(r"^(?P<rule>\S+ v\d+): other stores only$"),
        gettext_lazy("%(rule)s: for other stores only"),
    ),
    (
        re.compile(r"^(?P<rule>\S+ v\d+): other tiers only$"),
        gettext_lazy("%(rule)s: for other tiers only"),
    ),
    (
        re.compile(r"^(?P<rule>\S+ v\d+): other categories only$"),
        gettext_lazy("%(rule)s: for other categories only"),
    ),
    (
        re.compile(r"^(?P<rule>\S+ v\d+): category (?P<category>.+) excluded$"),
        gettext_lazy("%(rule)s: category %(category)s is excluded"),
    ),
    (re.compile(r"^nothing paid: no points$"), gettext_lazy("nothing paid: no points")),
    (re.compile(r"^no rule applies: no points$"), gettext_lazy("no rule applies: no points")),
    (
        re.compile(r"^earning is frozen for this member$"),
        gettext_lazy("earning is frozen for this member"),
    ),
    (
        re.compile(r"^no member card: no points.*$"),
        gettext_lazy("no member card: no points (supplementary points possible)"),
    ),
]
ROUNDING_LABELS: dict[str, Any] = {
    "floor": pgettext_lazy("rounding", "part below a unit dropped"),
    "half_up": pgettext_lazy("rounding", "rounded half up"),
}


def explain_step(step: str) -> str:
    """One step of a points explanation in the reader's language (raw if unknown)."""
    for pattern, template in _STEP_PATTERNS:
        match = pattern.match(step)
        if match is None:
            continue
        values = match.groupdict()
        if "amount" in values:
            values["amount"] = fen_to_yuan_str(int(values["amount"]))
            values["unit"] = fen_to_yuan_str(int(values["unit"]))
        if "rounding" in values:
            values["rounding"] = str(ROUNDING_LABELS.get(values["rounding"], values["rounding"]))
        return str(template) % values
    return step
