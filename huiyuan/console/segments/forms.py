"""Forms of the segment pages: the filter editor (its fields become a definition), the RFM
cut points."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.console.admin_forms import TablerForm
from huiyuan.core.permissions import Actor
from huiyuan.members.models import Member, Tag
from huiyuan.segments.models import RfmClass, RfmLabel
from huiyuan.stores.models import Store
from huiyuan.tiers.models import Tier

DATE = forms.DateInput(attrs={"type": "date"})
CHECKS = forms.CheckboxSelectMultiple
WEEKDAYS = [
    ("1", _("Monday")),
    ("2", _("Tuesday")),
    ("3", _("Wednesday")),
    ("4", _("Thursday")),
    ("5", _("Friday")),
    ("6", _("Saturday")),
    ("7", _("Sunday")),
]
ID_LISTS = ("tiers", "stores", "tags")
INT_LISTS = ("weekdays",)
STR_LISTS = ("genders", "rfm_classes", "labels")
TEXT_LISTS = ("regions", "categories")
DATES = ("joined_from", "joined_to", "last_purchase_after", "last_purchase_before")
INTS = ("age_min", "age_max", "purchases_min", "hour_from", "hour_to", "churn_risk_min")
YUAN = {"spend_min": "spend_min_fen", "clv_min": "clv_min_fen"}


def _yuan() -> forms.DecimalField:
    return forms.DecimalField(required=False, min_value=Decimal(0), max_digits=12, decimal_places=2)


class FilterForm(TablerForm):
    """Every filter a segment may hold; empty fields are left out of the definition."""

    tiers = forms.TypedMultipleChoiceField(
        label=_("Tier"), required=False, coerce=int, widget=CHECKS
    )
    stores = forms.TypedMultipleChoiceField(
        label=_("Joining store"), required=False, coerce=int, widget=CHECKS
    )
    tags = forms.TypedMultipleChoiceField(
        label=_("Tags"), required=False, coerce=int, widget=CHECKS
    )
    genders = forms.MultipleChoiceField(
        label=_("Gender"), required=False, choices=Member.Gender.choices, widget=CHECKS
    )
    age_min = forms.IntegerField(label=_("Age from"), required=False, min_value=0, max_value=150)
    age_max = forms.IntegerField(label=_("Age to"), required=False, min_value=0, max_value=150)
    regions = forms.CharField(
        label=_("Region contains"),
        required=False,
        max_length=200,
        help_text=_("Several: separate with commas."),
    )
    joined_from = forms.DateField(label=_("Joined from"), required=False, widget=DATE)
    joined_to = forms.DateField(label=_("Joined until"), required=False, widget=DATE)
    last_purchase_after = forms.DateField(
        label=_("Bought on or after"), required=False, widget=DATE
    )
    last_purchase_before = forms.DateField(
        label=_("Last bought before"), required=False, widget=DATE
    )
    spend_min = _yuan()
    purchases_min = forms.IntegerField(
        label=_("Purchases at least"), required=False, min_value=0, max_value=1_000_000
    )
    rfm_classes = forms.MultipleChoiceField(
        label=_("RFM class"), required=False, choices=RfmClass.choices, widget=CHECKS
    )
    labels = forms.MultipleChoiceField(
        label=_("Labels"), required=False, choices=RfmLabel.choices, widget=CHECKS
    )
    weekdays = forms.MultipleChoiceField(
        label=_("Usually buys on"), required=False, choices=WEEKDAYS, widget=CHECKS
    )
    hour_from = forms.IntegerField(
        label=_("Usual hour from"), required=False, min_value=0, max_value=23
    )
    hour_to = forms.IntegerField(
        label=_("Usual hour to"), required=False, min_value=0, max_value=23
    )
    categories = forms.CharField(
        label=_("Preferred category"),
        required=False,
        max_length=200,
        help_text=_("Category codes; several: separate with commas."),
    )
    churn_risk_min = forms.IntegerField(
        label=_("Churn risk at least (%)"), required=False, min_value=0, max_value=100
    )
    clv_min = _yuan()

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["spend_min"].label = _("Total spend at least (yuan)")
        self.fields["clv_min"].label = _("Predicted value at least (yuan)")
        stores = Store.objects.filter(is_active=True).order_by("code")
        if actor.store_ids is not None:
            stores = stores.filter(pk__in=actor.store_ids)
        self.fields["stores"].choices = [(s.pk, s.name) for s in stores]  # type: ignore[attr-defined]
        self.fields["tiers"].choices = [(t.pk, t.name) for t in Tier.objects.order_by("level")]  # type: ignore[attr-defined]
        self.fields["tags"].choices = [(t.pk, t.name) for t in Tag.objects.order_by("name")]  # type: ignore[attr-defined]

    @classmethod
    def initial_of(cls, definition: dict[str, Any]) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for key, value in definition.items():
            if key in TEXT_LISTS:
                initial[key] = ", ".join(value)
            elif key in INT_LISTS:
                initial[key] = [str(v) for v in value]
            elif key.endswith("_fen"):
                name = {v: k for k, v in YUAN.items()}[key]
                initial[name] = Decimal(value) / 100
            else:
                initial[key] = value
        return initial

    def definition(self) -> dict[str, Any]:
        """The cleaned fields as a segment definition (``definition_clean`` checks it)."""
        data = self.cleaned_data
        out: dict[str, Any] = {}
        for key in ID_LISTS:
            if data.get(key):
                out[key] = [int(v) for v in data[key]]
        for key in INT_LISTS:
            if data.get(key):
                out[key] = [int(v) for v in data[key]]
        for key in STR_LISTS:
            if data.get(key):
                out[key] = list(data[key])
        for key in TEXT_LISTS:
            parts = [p.strip() for p in (data.get(key) or "").replace("，", ",").split(",")]
            if any(parts):
                out[key] = [p for p in parts if p]
        for key in DATES:
            if data.get(key):
                out[key] = data[key].isoformat()
        for key in INTS:
            if data.get(key) is not None:
                out[key] = data[key]
        for name, key in YUAN.items():
            if data.get(name) is not None:
                out[key] = int(data[name] * 100)
        return out


class SegmentForm(FilterForm):
    name = forms.CharField(label=_("Segment name"), max_length=60)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    store = forms.TypedChoiceField(
        label=_("For store"), required=False, coerce=int, empty_value=None
    )
    field_order = ["name", "description", "store"]

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        stores = Store.objects.filter(is_active=True).order_by("code")
        if actor.store_ids is None:
            choices = [("", _("The whole chain"))] + [(s.pk, s.name) for s in stores]
        else:
            choices = [(s.pk, s.name) for s in stores.filter(pk__in=actor.store_ids)]
        self.fields["store"].choices = choices  # type: ignore[attr-defined]


class RfmSettingsForm(TablerForm):
    window_days = forms.IntegerField(label=_("Window (days)"), min_value=1, max_value=3650)
    recent_days = forms.IntegerField(
        label=_("Recent: bought within (days)"), min_value=1, max_value=3650
    )
    frequent_count = forms.IntegerField(
        label=_("Frequent: purchases at least"), min_value=1, max_value=3650
    )
    valuable = forms.DecimalField(
        label=_("Valuable: spend at least (yuan)"), min_value=Decimal("0.01"), decimal_places=2
    )
    loyal_count = forms.IntegerField(
        label=_("Loyal: purchases at least"), min_value=1, max_value=3650
    )
    big_spender = forms.DecimalField(
        label=_("Big spender: spend at least (yuan)"), min_value=Decimal("0.01"), decimal_places=2
    )
    at_risk_days = forms.IntegerField(
        label=_("At risk: no purchase for (days)"), min_value=1, max_value=3650
    )
    lost_days = forms.IntegerField(
        label=_("Lost: no purchase for (days)"), min_value=1, max_value=3650
    )

    def values(self) -> dict[str, int]:
        d = self.cleaned_data
        out = {k: int(v) for k, v in d.items() if k not in ("valuable", "big_spender")}
        out["valuable_fen"] = int(d["valuable"] * 100)
        out["big_spender_fen"] = int(d["big_spender"] * 100)
        return out
