"""Forms of the care pages: they parse what staff type; the care services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huiyuan.care.models import ChannelKind, MessageKind
from huiyuan.console.admin_forms import TablerForm


class TemplateForm(TablerForm):
    code = forms.SlugField(label=_("Template code"), max_length=40)
    channel = forms.ChoiceField(label=pgettext_lazy("care", "Channel"), choices=ChannelKind.choices)
    name = forms.CharField(label=_("Template name"), max_length=60)
    kind = forms.ChoiceField(label=pgettext_lazy("care", "Kind"), choices=MessageKind.choices)
    subject = forms.CharField(label=_("Subject (e-mail, inbox)"), max_length=120, required=False)
    body = forms.CharField(
        label=_("Message"), max_length=1000, widget=forms.Textarea(attrs={"rows": 5})
    )
    is_active = forms.BooleanField(
        label=pgettext_lazy("care", "Active"), required=False, initial=True
    )


class PreviewForm(TablerForm):
    member = forms.CharField(
        label=_("Member number or mobile"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. M000001 or 138…")}),
    )


class CampaignForm(TablerForm):
    name = forms.CharField(label=_("Campaign name"), max_length=80)
    template_code = forms.ChoiceField(label=_("Template"))
    channel = forms.ChoiceField(label=pgettext_lazy("care", "Channel"), choices=ChannelKind.choices)
    segment = forms.ChoiceField(label=_("Audience (segment)"))
    coupon_template = forms.ChoiceField(label=_("Coupon attached"), required=False)

    def __init__(
        self,
        *args: Any,
        templates: list[tuple[str, str]],
        segments: list[tuple[str, str]],
        coupons: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template_code"].choices = templates  # type: ignore[attr-defined]
        self.fields["segment"].choices = [("", _("Every active member")), *segments]  # type: ignore[attr-defined]
        self.fields["coupon_template"].choices = [("", _("No coupon")), *coupons]  # type: ignore[attr-defined]


class RuleForm(TablerForm):
    template_code = forms.ChoiceField(label=_("Template"))
    channel = forms.ChoiceField(label=pgettext_lazy("care", "Channel"), choices=ChannelKind.choices)
    days_ahead = forms.IntegerField(label=_("Days ahead"), min_value=0, max_value=60, initial=0)
    coupon_template = forms.ChoiceField(label=_("Coupon attached"), required=False)
    is_active = forms.BooleanField(label=pgettext_lazy("care", "Active"), required=False)

    def __init__(
        self,
        *args: Any,
        templates: list[tuple[str, str]],
        coupons: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template_code"].choices = templates  # type: ignore[attr-defined]
        self.fields["coupon_template"].choices = [("", _("No coupon")), *coupons]  # type: ignore[attr-defined]


class CareDateForm(TablerForm):
    name = forms.CharField(label=_("Occasion name"), max_length=60)
    calendar = forms.ChoiceField(
        label=_("Calendar"),
        choices=[
            ("solar", _("Solar date, every year")),
            ("lunar", _("Lunar date, every year")),
            ("once", _("One-off date")),
        ],
    )
    month = forms.IntegerField(label=_("Month"), min_value=1, max_value=12, required=False)
    day = forms.IntegerField(label=_("Day"), min_value=1, max_value=31, required=False)
    date = forms.DateField(
        label=_("Date (one-off)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    template_code = forms.ChoiceField(label=_("Template"))
    channel = forms.ChoiceField(label=pgettext_lazy("care", "Channel"), choices=ChannelKind.choices)
    days_ahead = forms.IntegerField(label=_("Days ahead"), min_value=0, max_value=60, initial=0)
    coupon_template = forms.ChoiceField(label=_("Coupon attached"), required=False)
    is_active = forms.BooleanField(
        label=pgettext_lazy("care", "Active"), required=False, initial=True
    )

    def __init__(
        self,
        *args: Any,
        templates: list[tuple[str, str]],
        coupons: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template_code"].choices = templates  # type: ignore[attr-defined]
        self.fields["coupon_template"].choices = [("", _("No coupon")), *coupons]  # type: ignore[attr-defined]
