"""Forms of the card batch pages: they parse what staff type; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.cards.batches import MAX_CARDS, NOTE_MAX, TEXT_MAX
from huiyuan.cards.services import MAX_VALIDITY_MONTHS
from huiyuan.console.counter.forms import (
    CardNumberField,
    IdempotentForm,
    YuanField,
    method_choices,
)
from huiyuan.core.errors import DomainError, PermissionDenied

# How the services name fields, and which form field shows the message.
SERVICE_FIELDS = {
    "card_type_id": "card_type",
    "store_id": "store",
    "count": "count",
    "face_value_fen": "face_value",
    "buyer_company": "buyer_company",
    "buyer_contact": "buyer_contact",
    "validity_months": "validity_months",
    "activate_by": "activate_by",
    "note": "note",
    "method": "method",
    "reason": "reason",
    "card_numbers": "numbers",
    "code": "code",
    "member_id": "member",
}


def show_error(form: forms.Form, exc: DomainError) -> None:
    """Put a service's refusal next to its field, or above the form (a permission refusal
    goes on to the 403 page)."""
    if isinstance(exc, PermissionDenied):
        raise exc
    name = SERVICE_FIELDS.get(exc.field or "")
    form.add_error(name if name in form.fields else None, str(exc.message))


def _text(max_length: int, **attrs: str) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": "off", "maxlength": str(max_length), **attrs})


class BatchForm(IdempotentForm):
    card_type = forms.TypedChoiceField(label=_("Card type"), coerce=int)
    store = forms.TypedChoiceField(label=_("Selling store"), coerce=int)
    count = forms.IntegerField(
        label=_("Number of cards"),
        min_value=1,
        max_value=MAX_CARDS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    face_value = YuanField(label=_("Face value per card (yuan)"))
    buyer_company = forms.CharField(
        label=_("Buying company"), max_length=TEXT_MAX, widget=_text(TEXT_MAX)
    )
    buyer_contact = forms.CharField(
        label=_("Contact person and telephone"),
        max_length=TEXT_MAX,
        required=False,
        widget=_text(TEXT_MAX),
        help_text=_("Kept encrypted; shown to head office only."),
    )
    validity_months = forms.IntegerField(
        label=_("Valid for months after activation"),
        min_value=1,
        max_value=MAX_VALIDITY_MONTHS,
        required=False,
        help_text=_("Leave empty for the card type's validity."),
    )
    activate_by = forms.DateField(
        label=_("Last day to activate"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty if the cards can be activated at any time."),
    )
    note = forms.CharField(
        label=_("Note"), max_length=NOTE_MAX, required=False, widget=_text(NOTE_MAX)
    )

    def __init__(
        self,
        *args: Any,
        card_types: list[Any] | None = None,
        stores: list[Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        types = [(str(t.pk), t.name) for t in card_types or []]
        self.fields["card_type"].choices = types  # type: ignore[attr-defined]
        shops = [(str(s.pk), s.name) for s in stores or []]
        self.fields["store"].choices = shops  # type: ignore[attr-defined]
        if not self.is_bound and len(shops) == 1:
            self.initial.setdefault("store", shops[0][0])


class SellForm(IdempotentForm):
    method = forms.ChoiceField(
        label=_("The company paid by"), choices=method_choices, initial="enterprise"
    )


class VoidForm(IdempotentForm):
    reason = forms.CharField(label=_("Reason"), max_length=NOTE_MAX, widget=_text(NOTE_MAX))
    method = forms.ChoiceField(
        label=_("Paid back by"), choices=method_choices, initial="enterprise"
    )
    numbers = forms.CharField(
        label=_("Only these card numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One number per line (or separated by spaces or commas). Leave empty to void "
            "every card of the batch still awaiting activation."
        ),
    )

    def clean_numbers(self) -> list[str] | None:
        text = self.cleaned_data.get("numbers") or ""
        for sep in ",，;；\n\r\t":
            text = text.replace(sep, " ")
        numbers = [n for n in text.split(" ") if n]
        if len(numbers) > MAX_CARDS:
            raise forms.ValidationError(_("At most 10,000 card numbers."))
        return numbers or None


class ActivateForm(IdempotentForm):
    card = CardNumberField()
    code = forms.CharField(
        label=_("Secret code"),
        max_length=40,
        widget=_text(
            40,
            placeholder="ABCD-EFGH-JKMN-PQRS",
            autocapitalize="characters",
            spellcheck="false",
        ),
        help_text=_("16 characters; case, spaces and dashes do not matter."),
    )
    member = forms.CharField(
        label=_("Member (member number or mobile)"),
        max_length=20,
        required=False,
        widget=_text(20, inputmode="numeric"),
        help_text=_("Required for a named card; leave empty to keep a bearer card anonymous."),
    )
