"""Benefit-card forms (权益卡): they parse input (yuan to fen, ‰, lists); services decide."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.benefits.models import Term
from huiyuan.console.admin_forms import TablerForm
from huiyuan.core.errors import DomainError
from huiyuan.core.money import yuan_to_fen
from huiyuan.wallet.models import PaymentMethod

PAIR = re.compile(r"^\s*([^=\s:：]+)\s*[=:：]\s*(\S+)\s*$")


def _pairs(text: str) -> list[tuple[str, str]]:
    """``a=1`` pairs, one a line or separated by commas."""
    pairs = []
    for part in re.split(r"[\n,，;；]+", text or ""):
        if not part.strip():
            continue
        match = PAIR.match(part)
        if match is None:
            raise forms.ValidationError(_("Write one “code = value” a line."))
        pairs.append((match.group(1), match.group(2)))
    return pairs


class PlanForm(TablerForm):
    product = forms.TypedChoiceField(label=_("Product sold"), coerce=int)
    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Card name"), max_length=60)
    term = forms.ChoiceField(label=_("Term"), choices=Term.choices)
    rank = forms.IntegerField(
        label=_("Rank"),
        min_value=1,
        max_value=99,
        initial=1,
        help_text=_("A card is upgraded to a plan of a higher rank."),
    )
    paid_permille = forms.IntegerField(
        label=_("Extra discount on everything (paid ‰)"),
        min_value=0,
        max_value=1000,
        initial=1000,
        help_text=_("950 = a further 5% off after the tier rate; 1000 = none."),
    )
    category_discounts = forms.CharField(
        label=_("Extra discount by category (paid ‰)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "wash = 900\nshop = 950"}),
        help_text=_("One category code = paid ‰ a line."),
    )
    points_multiplier_pct = forms.IntegerField(
        label=_("Points multiplier (%)"), min_value=1, max_value=1000, initial=100
    )
    member_prices = forms.CharField(
        label=_("Member-only prices (¥)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "WAX = 50.00"}),
        help_text=_("One product SKU = price a line."),
    )
    free_plan = forms.TypedChoiceField(
        label=_("Free uses per period"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("A period card plan (e.g. 2 car washes a month) opened with the card."),
    )
    priority_text = forms.CharField(
        label=_("Priority booking"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "预约优先、专属通道"}),
    )
    refund_fee_percent = forms.DecimalField(
        label=_("Refund fee (%)"), min_value=0, max_value=100, decimal_places=2, initial=0
    )
    active = forms.BooleanField(label=_("On sale"), required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        products: list[tuple[int, str]],
        free_plans: list[tuple[int, str]],
        skus: dict[str, int],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", "—"), *products]  # type: ignore[attr-defined]
        self.fields["free_plan"].choices = [("", _("None")), *free_plans]  # type: ignore[attr-defined]
        self.skus = skus

    def clean_category_discounts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for code, value in _pairs(self.cleaned_data.get("category_discounts") or ""):
            if not value.isdigit() or not 0 <= int(value) <= 1000:
                raise forms.ValidationError(_("Give a rate from 0‰ to 1000‰."))
            out[code] = int(value)
        return out

    def clean_member_prices(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for sku, value in _pairs(self.cleaned_data.get("member_prices") or ""):
            if sku not in self.skus:
                raise forms.ValidationError(_("Unknown SKU: %(sku)s") % {"sku": sku})
            try:
                fen = yuan_to_fen(value)
            except DomainError as exc:
                raise forms.ValidationError(str(exc.message)) from exc
            out[self.skus[sku]] = fen
        return out

    def fee_bp(self) -> int:
        return int((self.cleaned_data.get("refund_fee_percent") or 0) * 100)


class KeyedForm(TablerForm):
    """A form that carries an idempotency key: a double submit acts once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class UpgradeForm(KeyedForm):
    plan = forms.TypedChoiceField(label=_("Upgrade to"), coerce=int)
    method = forms.ChoiceField(
        label=_("The difference is paid by"), choices=PaymentMethod.choices, initial="cash"
    )

    def __init__(self, *args: Any, plans: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = plans  # type: ignore[attr-defined]


class RefundForm(KeyedForm):
    method = forms.ChoiceField(
        label=_("Paid back by"), choices=PaymentMethod.choices, initial="cash"
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)
