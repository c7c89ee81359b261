"""Forms of the survey and feedback pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.console.admin_forms import TablerForm
from huiyuan.stores.models import Store
from huiyuan.surveys.models import Feedback, Question, Survey


class SurveyForm(TablerForm):
    title = forms.CharField(label=_("Title"), max_length=100)
    description = forms.CharField(
        label=_("Introduction"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class QuestionForm(TablerForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Question.Kind.choices)
    text = forms.CharField(label=_("Question"), max_length=200)
    choices = forms.CharField(
        label=_("Options, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For single and multiple choice: 2 to 20 options."),
    )
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)

    def options(self) -> list[str]:
        return [
            line.strip()
            for line in self.cleaned_data.get("choices", "").splitlines()
            if line.strip()
        ]


class DistributionForm(TablerForm):
    target = forms.ChoiceField(
        label=_("Send to"),
        choices=[
            ("everyone", _("Every active member in my stores")),
            ("segment", _("A saved segment")),
        ],
    )
    segment = forms.ChoiceField(label=_("Segment"), required=False, choices=[])
    sms = forms.BooleanField(label=_("Also send the link by SMS"), required=False)

    def __init__(
        self, *args: Any, segments: Any = (), sms_ready: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", "—"), *segments]  # type: ignore[attr-defined]
        if not sms_ready:
            self.fields["sms"].disabled = True
            self.fields["sms"].help_text = _("SMS sending is not set up yet.")


class SurveyFilterForm(TablerForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Survey.Status.choices]
    )


class FeedbackFilterForm(TablerForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Feedback.Status.choices]
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All")), *Feedback.Category.choices]
    )


class FeedbackForm(TablerForm):
    member_code = forms.CharField(label=_("Member number"), max_length=20)
    category = forms.ChoiceField(label=_("Category"), choices=Feedback.Category.choices)
    store = forms.ModelChoiceField(
        label=_("Store"),
        queryset=Store.objects.none(),
        required=False,
        empty_label=_("The member's joining store"),
    )
    text = forms.CharField(
        label=_("What the member said"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, stores: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores  # type: ignore[attr-defined]


class ReplyForm(TablerForm):
    text = forms.CharField(
        label=_("Reply"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class StatusForm(TablerForm):
    status = forms.ChoiceField(label=_("Status"), choices=Feedback.Status.choices)
