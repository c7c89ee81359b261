"""Catalog forms. They parse input (yuan to fen, quantities to thousandths); services decide."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huiyuan.catalog.models import CODE_PATTERN, Product
from huiyuan.console.admin_forms import TablerForm
from huiyuan.console.config.forms.fields import YuanField
from huiyuan.stores.models import Store

MILLI = 1000


class KeyedForm(TablerForm):
    """A create form that carries an idempotency key: a double submit creates once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class CategoryForm(KeyedForm):
    code = forms.RegexField(
        label=_("Category code"),
        regex=CODE_PATTERN,
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": "petrol", "autocomplete": "off"}),
        help_text=_(
            "Lowercase letters, digits, - and _. Tier rates and promotions name a category by "
            "its code, so it never changes."
        ),
        error_messages={"invalid": _("Lowercase letters, digits, - and _ only.")},
    )
    name = forms.CharField(
        label=_("Category name"),
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "汽油"}),
    )
    parent = forms.TypedChoiceField(label=_("Under"), coerce=int, required=False, empty_value=None)
    position = forms.IntegerField(
        label=_("Order among its siblings"), min_value=0, max_value=32767, initial=0
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", _("— top level —")), *choices]  # type: ignore[attr-defined]


class CategoryEditForm(TablerForm):
    name = forms.CharField(label=_("Category name"), max_length=40)
    parent = forms.TypedChoiceField(label=_("Under"), coerce=int, required=False, empty_value=None)
    position = forms.IntegerField(label=_("Order among its siblings"), min_value=0, max_value=32767)

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", _("— top level —")), *choices]  # type: ignore[attr-defined]


class ProductSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=60)
    category = forms.TypedChoiceField(
        label=pgettext_lazy("catalog", "Category"), coerce=int, required=False, empty_value=None
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Product.Status.choices]
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *Product.Kind.choices]
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All")), *choices]  # type: ignore[attr-defined]


class ProductForm(KeyedForm):
    """Create or edit a product; ``editing`` leaves out what is set once (kind, price)."""

    sku = forms.RegexField(
        label=_("SKU"),
        regex=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$",
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "FUEL-92", "autocomplete": "off"}),
        error_messages={"invalid": _("Letters, digits, '.', '-' and '_' only.")},
    )
    name = forms.CharField(label=_("Product name"), max_length=60)
    spec = forms.CharField(
        label=_("Specification"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "550ml"}),
    )
    barcode = forms.CharField(
        label=_("Barcode"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("Scan it into this field. A 13-digit EAN-13 is checked."),
    )
    category = forms.TypedChoiceField(
        label=pgettext_lazy("catalog", "Category"), coerce=int, required=False, empty_value=None
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Product.Kind.choices,
        initial=Product.Kind.STANDARD,
        help_text=_("A bundle (套餐) is sold at its own price; list its products after saving."),
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=Product.Unit.choices)
    divisible = forms.BooleanField(
        label=_("Sold in fractions of a unit (fuel, loose goods)"), required=False
    )
    list_price = YuanField(
        label=_("List price (yuan)"),
        allow_zero=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "7.89"}),
    )
    no_points = forms.BooleanField(label=_("Earns no points"), required=False)
    no_discount = forms.BooleanField(
        label=_("No member discount or promotion (e.g. group-buy items)"), required=False
    )

    def __init__(
        self,
        *args: Any,
        choices: list[tuple[int, str]],
        editing: bool = False,
        read_only: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("— none —")), *choices]  # type: ignore[attr-defined]
        if editing:
            for name in ("kind", "list_price", "idempotency_key"):
                del self.fields[name]
        if read_only:
            for field in self.fields.values():
                field.disabled = True


class PriceChangeForm(KeyedForm):
    price = YuanField(
        label=_("New price (yuan)"),
        allow_zero=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "7.89"}),
    )
    effective_from = forms.DateTimeField(
        label=_("In force from"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Local time. Leave empty for now; a moment in the past is refused."),
    )
    store = forms.TypedChoiceField(label=_("Where"), coerce=int, required=False, empty_value=None)
    note = forms.CharField(label=_("Note"), max_length=100, required=False)

    def __init__(
        self, *args: Any, stores: Iterable[Store], chain_wide: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[Any, Any]] = [(str(s.pk), f"{s.code} · {s.name}") for s in stores]
        if chain_wide:
            choices.insert(0, ("", _("Every store (chain-wide price)")))
        self.fields["store"].choices = choices  # type: ignore[attr-defined]
        self.fields["store"].required = not chain_wide
        if not chain_wide:
            self.fields["store"].help_text = _("A store's own price stands until it is changed.")


def parse_quantity(text: str) -> int:
    """A quantity typed as "2" or "0.5" in thousandths of the unit (never a float)."""
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation as exc:
        raise forms.ValidationError(_("Enter a number.")) from exc
    if not value.is_finite() or value <= 0:
        raise forms.ValidationError(_("Enter a quantity above zero."))
    milli = value * MILLI
    if milli != milli.to_integral_value():
        raise forms.ValidationError(_("At most three decimals."))
    return int(milli)


class BundleItemForm(forms.Form):
    code = forms.CharField(
        label=_("SKU or barcode"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    quantity = forms.CharField(
        label=_("Quantity"),
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "decimal"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code, quantity = data.get("code", "").strip(), data.get("quantity", "").strip()
        if code and not quantity:
            self.add_error("quantity", _("Enter a quantity."))
        elif quantity and not code:
            self.add_error("code", _("Scan or type the product's SKU or barcode."))
        elif quantity:
            try:
                data["quantity_milli"] = parse_quantity(quantity)
            except forms.ValidationError as exc:
                self.add_error("quantity", exc)
        return data


BundleItemFormSet = forms.formset_factory(BundleItemForm, extra=0, max_num=20, absolute_max=20)


class ImportUploadForm(TablerForm):
    file = forms.FileField(
        label=_("Spreadsheet (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
        help_text=_("The first row names the columns; at most 5,000 rows."),
    )
