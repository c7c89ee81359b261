"""Points forms: the points policy, earn rules with their special days, the dry run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.console.admin_forms import TablerForm
from huiyuan.console.config.forms.fields import YuanField, fen_to_input, split_list, store_choices
from huiyuan.points.models import EarnRule, PointsPolicy
from huiyuan.stores.models import Store
from huiyuan.tiers.models import Tier

WEEKDAYS = {
    "周一": 1,
    "周二": 2,
    "周三": 3,
    "周四": 4,
    "周五": 5,
    "周六": 6,
    "周日": 7,
    "周天": 7,
    "星期一": 1,
    "星期二": 2,
    "星期三": 3,
    "星期四": 4,
    "星期五": 5,
    "星期六": 6,
    "星期日": 7,
    "星期天": 7,
    "mon": 1,
    "tue": 2,
    "wed": 3,
    "thu": 4,
    "fri": 5,
    "sat": 6,
    "sun": 7,
}
WEEKDAY_NAMES = {1: "周一", 2: "周二", 3: "周三", 4: "周四", 5: "周五", 6: "周六", 7: "周日"}


class PointsPolicyForm(TablerForm):
    points_per_yuan = forms.IntegerField(
        label=_("Points worth ¥1 when paying with points"),
        min_value=1,
        max_value=100_000,
        help_text=_("100 means 100 points pay ¥1 of a bill."),
    )
    max_offset_percent = forms.IntegerField(
        label=_("Points pay at most this percentage of a bill"), min_value=0, max_value=100
    )
    expiry = forms.ChoiceField(label=_("Points expire"), choices=PointsPolicy.Expiry.choices)
    expiry_days = forms.IntegerField(
        label=_("Expiry days"),
        min_value=0,
        max_value=36500,
        help_text=_("Days after earning; with a period end, the end of the period they fall in."),
    )
    supplement_days = forms.IntegerField(
        label=_("Supplementary points within days"),
        min_value=0,
        max_value=365,
        help_text=_("How long after a purchase a member may still ask for its points (补积分)."),
    )
    pending_days = forms.IntegerField(
        label=_("Earned points pending for days"),
        min_value=0,
        max_value=90,
        help_text=_(
            "The return window: points earned on a sale become spendable after this many "
            "days; a return within it cancels them. 0: spendable at once."
        ),
    )

    @classmethod
    def initial_for(cls, policy: PointsPolicy) -> dict[str, Any]:
        return {name: getattr(policy, name) for name in cls.base_fields}


class EarnRuleForm(TablerForm):
    code = forms.SlugField(
        label=_("Rule code"),
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "base"}),
        help_text=_("An existing code publishes a new version of that rule."),
    )
    name = forms.CharField(
        label=_("Rule name"),
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": "每消费1元积1分"}),
    )
    effective_from = forms.DateTimeField(
        label=_("Effective from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text=_("Empty: now. A new version ends the previous one at this moment."),
    )
    priority = forms.IntegerField(
        label=_("Priority"),
        initial=100,
        min_value=-10_000,
        max_value=10_000,
        help_text=_("The first rule that applies, by priority (smaller first), gives the points."),
    )
    unit = YuanField(label=_("Per amount (¥)"), initial="1.00")
    points_per_unit = forms.IntegerField(
        label=_("Points per amount"), initial=1, min_value=0, max_value=1_000_000
    )
    rounding = forms.ChoiceField(
        label=_("Part below a full amount"),
        choices=EarnRule.Rounding.choices,
        initial=EarnRule.Rounding.FLOOR,
    )
    stores = forms.TypedMultipleChoiceField(
        label=_("Only at stores"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every store."),
    )
    tiers = forms.MultipleChoiceField(
        label=_("Only for tiers"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every tier."),
    )
    categories = forms.CharField(
        label=_("Only for categories"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "餐饮, 烘焙"}),
        help_text=_("Separate with commas. Empty: every category."),
    )
    excluded_categories = forms.CharField(
        label=_("Categories that earn nothing"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "烟酒, 充值卡"}),
    )
    birthday_multiplier_pct = forms.IntegerField(
        label=_("Birthday multiplier %"),
        initial=100,
        min_value=0,
        max_value=10_000,
        help_text=_("200 = double points on the member's birthday."),
    )
    special_days = forms.CharField(
        label=_("Special days"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-11-11 200 双十一\n周三 150"}),
        help_text=_(
            "One per line: a date (2026-11-11) or a weekday (周三), the multiplier %, "
            "then an optional label."
        ),
    )
    cap_per_sale = forms.IntegerField(
        label=_("Cap per sale"), required=False, min_value=0, max_value=100_000_000
    )
    cap_per_day = forms.IntegerField(
        label=_("Cap per member and day"), required=False, min_value=0, max_value=100_000_000
    )

    def __init__(
        self, *args: Any, stores: Iterable[Store], tiers: Iterable[Tier], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stores"].choices = store_choices(stores)  # type: ignore[attr-defined]
        self.fields["tiers"].choices = [(t.code, t.name) for t in tiers]  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, rule: EarnRule) -> dict[str, Any]:
        return {
            "code": rule.code,
            "name": rule.name,
            "priority": rule.priority,
            "unit": fen_to_input(rule.unit_fen),
            "points_per_unit": rule.points_per_unit,
            "rounding": rule.rounding,
            "stores": [str(s) for s in rule.store_ids],
            "tiers": list(rule.tier_codes),
            "categories": ", ".join(rule.categories),
            "excluded_categories": ", ".join(rule.excluded_categories),
            "birthday_multiplier_pct": rule.birthday_multiplier_pct,
            "special_days": special_days_text(rule.special_days),
            "cap_per_sale": rule.cap_per_sale,
            "cap_per_day": rule.cap_per_day,
        }

    def clean_effective_from(self) -> dt.datetime | None:
        value: dt.datetime | None = self.cleaned_data.get("effective_from")
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value

    def clean_special_days(self) -> list[dict[str, Any]]:
        return parse_special_days(self.cleaned_data.get("special_days") or "")

    def rule_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"].strip(),
            "priority": data["priority"],
            "unit_fen": data["unit"],
            "points_per_unit": data["points_per_unit"],
            "rounding": data["rounding"],
            "store_ids": sorted(data["stores"]),
            "tier_codes": list(data["tiers"]),
            "categories": split_list(data["categories"]),
            "excluded_categories": split_list(data["excluded_categories"]),
            "birthday_multiplier_pct": data["birthday_multiplier_pct"],
            "special_days": data["special_days"],
            "cap_per_sale": data["cap_per_sale"],
            "cap_per_day": data["cap_per_day"],
        }


def parse_special_days(text: str) -> list[dict[str, Any]]:
    """``2026-11-11 200 双十一`` / ``周三 150`` lines into the rule's special-day entries."""
    days: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        parts = raw.replace("，", " ").replace(",", " ").split()
        if not parts:
            continue
        if len(parts) < 2:
            raise forms.ValidationError(
                _("Line %(n)s: give a date or weekday and a multiplier %%."), params={"n": number}
            )
        when, pct_text, label = parts[0], parts[1].rstrip("%％"), " ".join(parts[2:])
        if not pct_text.isdigit() or not 0 <= int(pct_text) <= 10_000:
            raise forms.ValidationError(
                _("Line %(n)s: the multiplier is a whole percent, e.g. 200."), params={"n": number}
            )
        entry: dict[str, Any] = {"multiplier_pct": int(pct_text)}
        weekday = WEEKDAYS.get(when.lower())
        if weekday is not None:
            entry["weekday"] = weekday
        else:
            try:
                entry["date"] = dt.date.fromisoformat(when).isoformat()
            except ValueError:
                raise forms.ValidationError(
                    _("Line %(n)s: %(when)s is neither a date (2026-11-11) nor a weekday (周三)."),
                    params={"n": number, "when": when},
                ) from None
        if label:
            entry["label"] = label[:30]
        days.append(entry)
    return days


def special_days_text(days: Iterable[dict[str, Any]]) -> str:
    lines = []
    for day in days:
        when = day.get("date") or WEEKDAY_NAMES.get(int(day.get("weekday") or 0), "")
        label = f" {day['label']}" if day.get("label") else ""
        lines.append(f"{when} {day.get('multiplier_pct', 100)}{label}")
    return "\n".join(lines)


class DryRunForm(TablerForm):
    amount = YuanField(
        label=_("Amount paid (¥)"), widget=forms.TextInput(attrs={"placeholder": "128.50"})
    )
    category = forms.CharField(label=_("Category"), required=False, max_length=40)
    store = forms.TypedChoiceField(label=_("Store"), coerce=int, required=False, empty_value=None)
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    at = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text=_("Empty: now. Pick a future date to try a version not yet in effect."),
    )
    earned_today = forms.IntegerField(
        label=_("Points earned today already"), required=False, min_value=0, initial=0
    )
    is_birthday = forms.BooleanField(label=_("It is the member's birthday"), required=False)
    rule = forms.TypedChoiceField(label=_("Rule"), coerce=int, required=False, empty_value=None)

    def __init__(
        self,
        *args: Any,
        stores: Iterable[Store],
        tiers: Iterable[Tier],
        rules: Iterable[EarnRule] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.tier_list = list(tiers)
        self.fields["rule"].choices = [("", _("The rules in effect at that time"))] + [  # type: ignore[attr-defined]
            (str(r.pk), f"{r.name} · {r.code} v{r.version}") for r in rules
        ]
        self.fields["store"].choices = [("", _("Any store")), *store_choices(stores)]  # type: ignore[attr-defined]
        self.fields["tier"].choices = [("", _("No tier"))] + [  # type: ignore[attr-defined]
            (t.code, f"{t.name} (×{t.points_multiplier_pct}%)") for t in self.tier_list
        ]

    def clean_at(self) -> dt.datetime:
        value: dt.datetime | None = self.cleaned_data.get("at")
        if value is None:
            return timezone.now()
        return timezone.make_aware(value) if timezone.is_naive(value) else value

    def chosen_tier(self) -> Tier | None:
        code = self.cleaned_data.get("tier")
        return next((t for t in self.tier_list if t.code == code), None)
