"""Stock forms: quantities typed in units (1.5), kept in thousandths; costs in yuan."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.catalog import selectors as catalog_selectors
from huiyuan.catalog.models import Product
from huiyuan.console.admin_forms import TablerForm
from huiyuan.core.money import yuan_to_fen
from huiyuan.stock.models import BelowZero, Movement
from huiyuan.stores.models import Store

MAX_UNITS = Decimal(1_000_000)


def to_milli(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 1000)


def units(milli: int | None) -> Decimal | None:
    """``1500`` → ``Decimal("1.5")``: a form's initial value."""
    return None if milli is None else (Decimal(milli) / 1000).normalize()


class QuantityField(forms.DecimalField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 10)
        kwargs.setdefault("decimal_places", 3)
        kwargs.setdefault("max_value", MAX_UNITS)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "step": "any"})


class ProductCodeField(forms.CharField):
    """A product by the barcode or SKU typed or scanned."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "off", "data-select-on-focus": ""})

    def clean(self, value: Any) -> Product | None:  # type: ignore[override]
        text = super().clean(value)
        if not text:
            return None
        product = catalog_selectors.product_by_code(text)
        if product is None:
            raise forms.ValidationError(_("No product has this barcode or SKU."))
        return product


class KeyedForm(TablerForm):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


def _store_field(stores: list[Store], label: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, coerce=int, choices=[(s.pk, f"{s.code} {s.name}") for s in stores]
    )


class LevelFilterForm(forms.Form):
    q = forms.CharField(label=_("Product"), required=False, max_length=60)
    store = forms.TypedChoiceField(label=_("Store"), coerce=int, required=False, empty_value=None)
    low = forms.BooleanField(label=_("Low stock only"), required=False)

    def __init__(self, *args: Any, stores: list[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].choices = [("", _("All my stores"))] + [  # type: ignore[attr-defined]
            (s.pk, s.name) for s in stores
        ]


class MovementFilterForm(forms.Form):
    store = forms.TypedChoiceField(label=_("Store"), coerce=int, required=False, empty_value=None)
    product = forms.IntegerField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)

    def __init__(self, *args: Any, stores: list[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].choices = [("", _("All my stores"))] + [  # type: ignore[attr-defined]
            (s.pk, s.name) for s in stores
        ]
        self.fields["kind"].choices = [("", _("All kinds")), *Movement.Kind.choices]  # type: ignore[attr-defined]


class PurchaseForm(KeyedForm):
    supplier = forms.CharField(label=_("Supplier"), max_length=60)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, stores: list[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"store": _store_field(stores, _("Store")), **self.fields}
        self.fields["store"].widget.attrs["class"] = "form-select"


class PurchaseLineForm(TablerForm):
    product = ProductCodeField(label=_("Barcode or SKU"), required=False)
    quantity = QuantityField(label=_("Quantity"), required=False, min_value=Decimal("0.001"))
    unit_cost = forms.DecimalField(
        label=_("Unit cost (¥)"), required=False, min_value=0, max_digits=10, decimal_places=2
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("product") is not None:
            if data.get("quantity") is None:
                self.add_error("quantity", _("Enter a quantity above zero."))
            if data.get("unit_cost") is None:
                self.add_error("unit_cost", _("Enter the unit cost."))
        return data

    def line(self) -> tuple[int, int, int] | None:
        data = self.cleaned_data
        if not data.get("product"):
            return None
        return (
            data["product"].pk,
            to_milli(data["quantity"]) or 0,
            yuan_to_fen(data["unit_cost"]),
        )


PurchaseLineFormSet = forms.formset_factory(PurchaseLineForm, extra=5, max_num=100)


class TransferLineForm(TablerForm):
    product = ProductCodeField(label=_("Barcode or SKU"), required=False)
    quantity = QuantityField(label=_("Quantity"), required=False, min_value=Decimal("0.001"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("product") is not None and data.get("quantity") is None:
            self.add_error("quantity", _("Enter a quantity above zero."))
        return data


TransferLineFormSet = forms.formset_factory(TransferLineForm, extra=5, max_num=100)


class TransferForm(KeyedForm):
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(
        self, *args: Any, sources: list[Store], targets: list[Store], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {
            "from_store": _store_field(sources, _("From store")),
            "to_store": _store_field(targets, _("To store")),
            **self.fields,
        }
        for name in ("from_store", "to_store"):
            self.fields[name].widget.attrs["class"] = "form-select"


class StocktakeForm(KeyedForm):
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, stores: list[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"store": _store_field(stores, _("Store")), **self.fields}
        self.fields["store"].widget.attrs["class"] = "form-select"


class AdjustForm(KeyedForm):
    quantity = QuantityField(
        label=_("Quantity (+ in, − out)"),
        min_value=-MAX_UNITS,
        help_text=_("e.g. -2 for two broken"),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ReorderPointForm(TablerForm):
    reorder_point = QuantityField(label=_("Reorder point"), required=False, min_value=0)


class PolicyForm(TablerForm):
    below_zero = forms.ChoiceField(label=_("Selling below zero"), choices=BelowZero.choices)


class StorePolicyForm(TablerForm):
    store = forms.TypedChoiceField(label=_("Store"), coerce=int)
    below_zero = forms.ChoiceField(
        label=_("Selling below zero"),
        choices=[("", _("As the chain")), *BelowZero.choices],
        required=False,
    )

    def __init__(self, *args: Any, stores: list[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].choices = [(s.pk, s.name) for s in stores]  # type: ignore[attr-defined]
