"""A segment's filter (``Segment.definition``): what it may say, how it is checked, and the
query it becomes.

A definition is a JSON object; every key is optional and all given keys must hold (AND);
a list means "any of these" (OR). Unknown keys and wrong types are refused with a clear
message (``invalid_segment_filter``), so a saved segment always evaluates.

=====================  =========================================  ======================
key                    value                                      meaning
=====================  =========================================  ======================
tiers                  [tier id, …]                               current tier
stores                 [store id, …]                              joining (home) store
tags                   [tag id, …]                                has any of the tags
joined_from/joined_to  "YYYY-MM-DD"                               joined between (local)
genders                ["M" | "F" | "U", …]                       gender
age_min/age_max        whole years                                age today (birthday)
regions                ["杭州", …]                                region contains any
last_purchase_after    "YYYY-MM-DD"                               bought on or after
last_purchase_before   "YYYY-MM-DD"                               last bought before
spend_min_fen          fen                                        net spend ≥ (all time)
purchases_min          count                                      purchases ≥ (all time)
rfm_classes            ["important_value", …]                     RFM class
labels                 ["loyal" | "big_spender" | "at_risk" |     has any of the labels
                       "lost", …]
weekdays               [1–7, …] (ISO, Monday 1)                   usual weekday
hour_from/hour_to      0–23                                       usual hour (local)
categories             ["drinks", …]                              preferred category
churn_risk_min         percent 0–100                              P(churned) ≥
clv_min_fen            fen                                        predicted CLV ≥
=====================  =========================================  ======================

Purchase-based keys read ``MemberProfile`` (rebuilt by ``profiles_refresh``); a member
with no purchase has no profile and matches none of them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huiyuan.core import clock
from huiyuan.core.errors import ValidationFailed
from huiyuan.segments.models import RfmClass, RfmLabel

ID_LISTS = ("tiers", "stores", "tags")
DATES = ("joined_from", "joined_to", "last_purchase_after", "last_purchase_before")
COUNTS = ("age_min", "age_max", "spend_min_fen", "purchases_min", "clv_min_fen")
GENDERS = ("M", "F", "U")
KEYS = frozenset(
    (
        *ID_LISTS,
        *DATES,
        *COUNTS,
        "genders",
        "regions",
        "rfm_classes",
        "labels",
        "weekdays",
        "hour_from",
        "hour_to",
        "categories",
        "churn_risk_min",
    )
)
MAX_LIST = 200


def _bad(key: str, message: Any) -> ValidationFailed:
    return ValidationFailed(message, code="invalid_segment_filter", field=key)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _list(definition: dict[str, Any], key: str) -> list[Any]:
    value = definition[key]
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise _bad(key, _("%(key)s must be a list of at most 200 values.") % {"key": key})
    return value


def definition_clean(raw: Any) -> dict[str, Any]:
    """The definition checked and normalised (empty lists and nulls dropped); refuses
    anything a segment cannot evaluate."""
    if not isinstance(raw, dict):
        raise _bad("definition", _("A segment filter is a JSON object."))
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise _bad(unknown[0], _("Unknown filter: %(key)s.") % {"key": unknown[0]})
    data = {k: v for k, v in raw.items() if v not in (None, "", [])}
    out: dict[str, Any] = {}
    for key in ID_LISTS:
        if key in data:
            values = _list(data, key)
            if not all(_is_int(v) and v > 0 for v in values):
                raise _bad(key, _("%(key)s must list ids (whole numbers).") % {"key": key})
            out[key] = sorted(set(values))
    for key in DATES:
        if key in data:
            try:
                out[key] = dt.date.fromisoformat(str(data[key])).isoformat()
            except ValueError:
                raise _bad(key, _("%(key)s must be a date as YYYY-MM-DD.") % {"key": key}) from None
    for key in COUNTS:
        if key in data:
            if not _is_int(data[key]) or data[key] < 0:
                raise _bad(key, _("%(key)s must be a whole number ≥ 0.") % {"key": key})
            out[key] = data[key]
    if "genders" in data:
        values = _list(data, "genders")
        if not all(v in GENDERS for v in values):
            raise _bad("genders", _("Gender is M, F or U."))
        out["genders"] = sorted(set(values))
    for key in ("regions", "categories"):
        if key in data:
            values = _list(data, key)
            if not all(isinstance(v, str) and 0 < len(v.strip()) <= 40 for v in values):
                raise _bad(key, _("%(key)s must list short texts.") % {"key": key})
            out[key] = sorted({v.strip() for v in values})
    for key, choices in (("rfm_classes", RfmClass.values), ("labels", RfmLabel.values)):
        if key in data:
            values = _list(data, key)
            wrong = [v for v in values if v not in choices]
            if wrong:
                raise _bad(
                    key,
                    _("Unknown value for %(key)s: %(value)s.")
                    % {
                        "key": key,
                        "value": wrong[0],
                    },
                )
            out[key] = sorted(set(values))
    if "weekdays" in data:
        values = _list(data, "weekdays")
        if not all(_is_int(v) and 1 <= v <= 7 for v in values):
            raise _bad("weekdays", _("Weekdays are 1 (Monday) to 7 (Sunday)."))
        out["weekdays"] = sorted(set(values))
    for key in ("hour_from", "hour_to"):
        if key in data:
            if not _is_int(data[key]) or not 0 <= data[key] <= 23:
                raise _bad(key, _("An hour is 0 to 23."))
            out[key] = data[key]
    if "churn_risk_min" in data:
        value = data["churn_risk_min"]
        if not _is_int(value) or not 0 <= value <= 100:
            raise _bad("churn_risk_min", _("Churn risk is a percentage from 0 to 100."))
        out["churn_risk_min"] = value
    if "age_min" in out and "age_max" in out and out["age_min"] > out["age_max"]:
        raise _bad("age_max", _("The upper age is below the lower one."))
    if "joined_from" in out and "joined_to" in out and out["joined_from"] > out["joined_to"]:
        raise _bad("joined_to", _("The end date is before the start date."))
    return out


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def definition_q(definition: dict[str, Any], *, today: dt.date | None = None) -> Q:
    """The member condition of a cleaned definition (``Q()`` for an empty one)."""
    d = definition
    today = today or clock.local_today()
    q = Q()
    if "tiers" in d:
        q &= Q(tier_state__tier_id__in=d["tiers"])
    if "stores" in d:
        q &= Q(home_store_id__in=d["stores"])
    if "tags" in d:
        from huiyuan.members.models import Member

        q &= Q(pk__in=Member.tags.through.objects.filter(tag_id__in=d["tags"]).values("member_id"))
    if "joined_from" in d:
        q &= Q(joined_at__gte=clock.local_day_start(dt.date.fromisoformat(d["joined_from"])))
    if "joined_to" in d:
        end = dt.date.fromisoformat(d["joined_to"]) + dt.timedelta(days=1)
        q &= Q(joined_at__lt=clock.local_day_start(end))
    if "genders" in d:
        q &= Q(gender__in=d["genders"])
    if "age_min" in d:  # born on or before today minus age_min years
        q &= Q(birthday__lte=_years_before(today, d["age_min"]))
    if "age_max" in d:  # younger than age_max + 1
        q &= Q(birthday__gt=_years_before(today, d["age_max"] + 1))
    if "regions" in d:
        regions = Q()
        for region in d["regions"]:
            regions |= Q(region__icontains=region)
        q &= regions
    if "last_purchase_after" in d:
        q &= Q(profile__last_on__gte=d["last_purchase_after"])
    if "last_purchase_before" in d:
        q &= Q(profile__last_on__lt=d["last_purchase_before"])
    if "spend_min_fen" in d:
        q &= Q(profile__spend_fen__gte=d["spend_min_fen"])
    if "purchases_min" in d:
        q &= Q(profile__purchases__gte=d["purchases_min"])
    if "rfm_classes" in d:
        q &= Q(profile__rfm_class__in=d["rfm_classes"])
    if "labels" in d:
        labels = Q()
        for label in d["labels"]:
            labels |= Q(**{f"profile__{label}": True})
        q &= labels
    if "weekdays" in d:
        q &= Q(profile__weekday__in=d["weekdays"])
    if "hour_from" in d:
        q &= Q(profile__hour__gte=d["hour_from"])
    if "hour_to" in d:
        q &= Q(profile__hour__lte=d["hour_to"])
    if "categories" in d:
        q &= Q(profile__category__in=d["categories"])
    if "churn_risk_min" in d:
        q &= Q(profile__p_alive__lte=1 - d["churn_risk_min"] / 100)
    if "clv_min_fen" in d:
        q &= Q(profile__clv_fen__gte=d["clv_min_fen"])
    return q
