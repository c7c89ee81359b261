"""The card type form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.cards.models import CardType
from huiyuan.console.admin_forms import TablerForm


class CardTypeForm(TablerForm):
    code = forms.SlugField(
        label=_("Code"),
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": "gold"}),
        help_text=_("Lowercase letters, digits, - and _; cannot be changed later."),
    )
    name = forms.CharField(
        label=_("Card type name"),
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": "金卡"}),
    )
    category = forms.ChoiceField(label=_("Card category"), choices=CardType.Category.choices)
    holding = forms.ChoiceField(
        label=_("Holding"), choices=CardType.Holding.choices, initial=CardType.Holding.PERSONAL
    )
    anonymous = forms.BooleanField(
        label=_("Anonymous (bearer) card: the lower prepaid limit applies"), required=False
    )
    validity_months = forms.IntegerField(
        label=_("Valid for months"),
        required=False,
        min_value=1,
        max_value=1200,
        help_text=_("Leave empty for a card that never expires."),
    )
    max_holders = forms.IntegerField(
        label=_("Holders at most"), min_value=1, max_value=50, initial=1
    )
    number_prefix = forms.RegexField(
        label=_("Card number prefix"),
        regex=r"^\d{1,6}$",
        initial="6",
        max_length=6,
        error_messages={"invalid": _("A number prefix is 1–6 digits.")},
    )
