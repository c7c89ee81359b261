"""Filters of the analytics pages and the scheduled-report form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.analytics.models import ScheduledReport
from huiyuan.analytics.reports import REPORTS


class RangeForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False)
    date_to = forms.DateField(label=_("To"), required=False)
    store = forms.IntegerField(label=_("Store"), required=False, min_value=1)


class ScheduleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    report = forms.ChoiceField(label=_("Report"))
    frequency = forms.ChoiceField(label=_("Frequency"), choices=ScheduledReport.Frequency.choices)
    store = forms.TypedChoiceField(label=_("Stores"), coerce=int, required=False, empty_value=None)
    recipients = forms.CharField(
        label=_("Recipients"),
        max_length=2000,
        help_text=_("E-mail addresses, separated by commas or spaces."),
        widget=forms.TextInput(attrs={"placeholder": "boss@example.com, finance@example.com"}),
    )

    def __init__(
        self, *args: object, stores: list[tuple[int, str]], all_label: str, **kw: object
    ) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.fields["report"].choices = [(c, r.title) for c, r in REPORTS.items()]  # type: ignore[attr-defined]
        choices: list[tuple[object, str]] = [("", all_label)] if all_label else []
        self.fields["store"].choices = choices + list(stores)  # type: ignore[attr-defined]
