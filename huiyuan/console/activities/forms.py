"""Forms of the activity pages: they parse what staff type; the activity services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.activities.models import Activity
from huiyuan.console.admin_forms import TablerForm
from huiyuan.console.counter.forms import CardNumberField, YuanField, new_key

LOCAL_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
WEEKDAYS = [
    (1, _("Monday")),
    (2, _("Tuesday")),
    (3, _("Wednesday")),
    (4, _("Thursday")),
    (5, _("Friday")),
    (6, _("Saturday")),
    (7, _("Sunday")),
]


class IdempotentForm(TablerForm):
    """A hidden idempotency key (a fresh uuid4 when rendered): a double click has one effect."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_key())


def _moment(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=LOCAL_INPUT,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class ActivitySearchForm(TablerForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=60)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *Activity.Kind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Activity.Status.choices]
    )


class ActivityForm(IdempotentForm):
    """One form for every kind: the page shows the fields of the chosen kind only."""

    COMMON = ("code", "name", "starts_at", "ends_at", "location", "description", "stores")
    BY_KIND = {
        Activity.Kind.SIGNUP: ("capacity", "fee", "refund_rule", "refund_hours"),
        Activity.Kind.PAYMENT: (
            "threshold",
            "reward_kind",
            "reward_points",
            "coupon_template",
            "budget",
        ),
        Activity.Kind.CLAIM: ("coupon_template", "budget"),
        Activity.Kind.CARE: (
            "occasion",
            "holiday_date",
            "reward_kind",
            "reward_points",
            "coupon_template",
            "budget",
        ),
    }

    code = forms.SlugField(label=_("Activity code"), max_length=40)
    name = forms.CharField(label=_("Activity name"), max_length=100)
    starts_at = _moment(_("Starts at"))
    ends_at = _moment(_("Ends at"))
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    stores = forms.MultipleChoiceField(
        label=_("Only at stores"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every store."),
    )
    capacity = forms.IntegerField(label=_("Seats"), min_value=1, max_value=100_000, required=False)
    fee = YuanField(label=_("Fee (yuan, from stored value)"), required=False, allow_zero=True)
    refund_rule = forms.ChoiceField(
        label=_("Refund rule"), choices=Activity.Refund.choices, required=False
    )
    refund_hours = forms.IntegerField(
        label=_("Refund up to hours before the start"), min_value=0, max_value=720, required=False
    )
    threshold = YuanField(label=_("Spend at least (yuan, one sale)"), required=False)
    reward_kind = forms.ChoiceField(
        label=_("Reward"),
        choices=[("points", _("Points")), ("coupon", _("Coupon"))],
        required=False,
    )
    reward_points = forms.IntegerField(
        label=_("Reward points"), min_value=1, max_value=1_000_000, required=False
    )
    coupon_template = forms.TypedChoiceField(
        label=_("Coupon template"), coerce=int, required=False, empty_value=None
    )
    budget = forms.IntegerField(
        label=_("Budget (rewards at most)"),
        min_value=1,
        max_value=10_000_000,
        required=False,
        help_text=_("Empty: no limit."),
    )
    occasion = forms.ChoiceField(
        label=_("Occasion"),
        choices=[("birthday", _("Birthday")), ("holiday", _("Holiday"))],
        required=False,
    )
    holiday_date = forms.DateField(
        label=_("Holiday date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self,
        *args: Any,
        kind: str,
        stores: list[tuple[int, str]],
        templates: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["stores"].choices = [(str(pk), name) for pk, name in stores]  # type: ignore[attr-defined]
        self.fields["coupon_template"].choices = [("", "—"), *templates]  # type: ignore[attr-defined]
        shown = (
            set(self.COMMON) | set(self.BY_KIND.get(Activity.Kind(kind), ())) | {"idempotency_key"}
        )
        for name in list(self.fields):
            if name not in shown:
                del self.fields[name]

    def visible(self) -> list[forms.BoundField]:
        return [f for f in self if not f.is_hidden]


class CancelForm(TablerForm):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class CounterForm(IdempotentForm):
    card = CardNumberField()


class TaskForm(TablerForm):
    points = forms.IntegerField(label=_("Points"), min_value=0, max_value=1_000_000)
    active = forms.BooleanField(label=_("On"), required=False)


class GrantForm(TablerForm):
    points = forms.IntegerField(label=_("Points each"), min_value=1, max_value=100_000)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    segment = forms.TypedChoiceField(
        label=_("Saved segment"), coerce=int, required=False, empty_value=None
    )
    member_codes = forms.CharField(
        label=_("Or member numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, or separated by commas."),
    )

    def __init__(self, *args: Any, segments: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", "—"), *segments]  # type: ignore[attr-defined]

    def codes(self) -> list[str]:
        raw = self.cleaned_data.get("member_codes") or ""
        return [
            c.strip() for c in raw.replace(",", "\n").replace("，", "\n").splitlines() if c.strip()
        ]


class PointsDayForm(TablerForm):
    name = forms.CharField(label=_("Day name"), max_length=60)
    multiplier_pct = forms.IntegerField(
        label=_("Multiplier %"),
        min_value=101,
        max_value=1000,
        initial=200,
        help_text=_("200 = double points."),
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Every week on"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    dates = forms.CharField(
        label=_("Dates"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "2026-12-12"}),
        help_text=_("One date a line (local dates)."),
    )
    stores = forms.MultipleChoiceField(
        label=_("Only at stores"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, stores: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stores"].choices = [(str(pk), name) for pk, name in stores]  # type: ignore[attr-defined]

    def clean_dates(self) -> list[Any]:
        import datetime as dt

        out = []
        for line in (self.cleaned_data.get("dates") or "").split():
            try:
                out.append(dt.date.fromisoformat(line.strip()))
            except ValueError as exc:
                raise forms.ValidationError(_("Write dates as 2026-12-12.")) from exc
        return out


class DryRunForm(TablerForm):
    subject = forms.ChoiceField(label=_("What to replay"))
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, subjects: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = subjects  # type: ignore[attr-defined]
