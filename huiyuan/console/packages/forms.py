"""Package forms (次卡): they parse input (yuan to fen, % to basis points); services decide."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.console.admin_forms import TablerForm
from huiyuan.console.config.forms.fields import YuanField
from huiyuan.packages.models import MAX_USES, Activation, Kind, LimitPeriod, ValidityUnit
from huiyuan.packages.plans import ItemInput
from huiyuan.wallet.models import PaymentMethod


class KeyedForm(TablerForm):
    """A form that carries an idempotency key: a double submit acts once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class PlanForm(TablerForm):
    product = forms.TypedChoiceField(label=_("Product sold"), coerce=int)
    name = forms.CharField(label=_("Plan name"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind of card"), choices=Kind.choices)
    uses = forms.IntegerField(
        label=_("Uses (count card)"), min_value=1, max_value=MAX_USES, required=False
    )
    items = forms.CharField(
        label=_("Items (course card)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "拉伸 3\n力量 5"}),
        help_text=_("One item a line: its name, a space, its number of uses."),
    )
    validity_value = forms.IntegerField(
        label=_("Valid for"), min_value=1, max_value=3660, required=False
    )
    validity_unit = forms.ChoiceField(label=_("Unit"), choices=ValidityUnit.choices)
    activation = forms.ChoiceField(label=_("Validity starts"), choices=Activation.choices)
    limit_count = forms.IntegerField(
        label=_("At most … uses"), min_value=1, max_value=MAX_USES, required=False
    )
    limit_period = forms.ChoiceField(label=_("Per"), choices=LimitPeriod.choices)
    all_stores = forms.BooleanField(label=_("Usable at every store"), required=False)
    stores = forms.TypedMultipleChoiceField(
        label=_("Or only at these stores"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    refund_fee = YuanField(label=_("Refund fee (¥, fixed)"), required=False, allow_zero=True)
    refund_fee_percent = forms.DecimalField(
        label=_("Refund fee (% of the refund)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        required=False,
    )
    active = forms.BooleanField(label=_("On sale"), required=False)

    def __init__(
        self,
        *args: Any,
        products: list[tuple[int, str]],
        stores: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = products  # type: ignore[attr-defined]
        self.fields["stores"].choices = stores  # type: ignore[attr-defined]

    def clean_items(self) -> list[ItemInput]:
        lines = [line.strip() for line in (self.cleaned_data.get("items") or "").splitlines()]
        items = []
        for line in filter(None, lines):
            name, _sep, count = line.rpartition(" ")
            if not name.strip() or not count.isdigit():
                raise forms.ValidationError(
                    _("Write each item as its name, a space and a number: 拉伸 3.")
                )
            items.append(ItemInput(name=name.strip(), uses=int(count)))
        return items

    def plan_items(self) -> list[ItemInput]:
        data = self.cleaned_data
        if data["kind"] == Kind.COUNT:
            return [ItemInput(name=data["name"][:40], uses=data.get("uses"))]
        return list(data.get("items") or [])

    def fee_bp(self) -> int:
        percent = self.cleaned_data.get("refund_fee_percent")
        try:
            return int((percent or Decimal(0)) * 100)
        except (InvalidOperation, ValueError):
            return 0


class FindForm(forms.Form):
    q = forms.CharField(
        label=_("Card number or package code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-lg",
                "autofocus": True,
                "autocomplete": "off",
                "placeholder": _("Scan the member's card or the package code"),
            }
        ),
    )


class UseForm(KeyedForm):
    package = forms.IntegerField(widget=forms.HiddenInput)
    item = forms.IntegerField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class UndoForm(KeyedForm):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class RefundForm(KeyedForm):
    method = forms.ChoiceField(label=_("Paid back by"), choices=PaymentMethod.choices)
    reason = forms.CharField(label=_("Reason"), max_length=200)
