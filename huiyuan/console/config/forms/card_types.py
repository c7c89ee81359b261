"""The card type form."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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


class CardTypeEditForm(CardTypeForm):
    """Edit a card type: its code stays; category, holding and anonymity only while no card
    of it has been issued (the service refuses otherwise)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["code"]
        self.fields["number_prefix"].help_text = _("Applies to cards issued from now on.")
        self.fields["validity_months"].help_text = _(
            "Applies to cards issued or renewed from now on; issued cards keep their expiry."
        )

    @classmethod
    def initial_for(cls, card_type: CardType) -> dict[str, Any]:
        return {
            name: getattr(card_type, name)
            for name in (
                "name",
                "category",
                "holding",
                "anonymous",
                "validity_months",
                "max_holders",
                "number_prefix",
            )
        }


class DefaultCardTypeForm(TablerForm):
    card_type = forms.TypedChoiceField(
        label=_("Card type preselected at issue"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, card_types: Iterable[CardType] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["card_type"].choices = [("", _("None"))] + [  # type: ignore[attr-defined]
            (str(t.pk), t.name) for t in card_types if t.is_active
        ]
