"""Promotion and holiday forms. They parse what a person types — 折 or ¥, SKU/barcode
lists, date ranges, local times — into the service's units; the service decides."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huiyuan.catalog import selectors as catalog_selectors
from huiyuan.catalog.models import Category, Product
from huiyuan.checkout.models import Promotion
from huiyuan.console.admin_forms import TablerForm
from huiyuan.console.config.forms.fields import fen_to_input, split_list, store_choices
from huiyuan.core.errors import DomainError
from huiyuan.core.money import yuan_to_fen
from huiyuan.stores.models import Store

MAX_PRODUCTS = 500
LOCAL_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
WEEKDAYS = [
    (1, pgettext_lazy("weekday", "Mon")),
    (2, pgettext_lazy("weekday", "Tue")),
    (3, pgettext_lazy("weekday", "Wed")),
    (4, pgettext_lazy("weekday", "Thu")),
    (5, pgettext_lazy("weekday", "Fri")),
    (6, pgettext_lazy("weekday", "Sat")),
    (7, pgettext_lazy("weekday", "Sun")),
]
KINDS = [
    (Promotion.Kind.PERCENT_OFF, _("Percent off (typed in 折: 9 = 9折, 95 = 95折)")),
    (Promotion.Kind.AMOUNT_OFF_PER_UNIT, _("Amount off per unit (¥ per litre, piece…)")),
    (Promotion.Kind.FIXED_UNIT_PRICE, _("Fixed unit price (¥ while it runs)")),
]
STACKING = [
    (Promotion.Stacking.BEST_OF, _("The better of promotion and member discount")),
    (Promotion.Stacking.STACK, _("Promotion, then the member discount on the rest")),
    (Promotion.Stacking.EXCLUSIVE, _("Promotion only, never with the member discount")),
]
_RANGE_SPLIT = re.compile(r"\s*(?:~|～|至|到|—|–|\s-\s|/)\s*")


def zhe_to_permille(text: str) -> int:
    """A discount typed in 折 as the price paid in permille: "9" → 900, "8.5" → 850,
    "95" → 950 (95折), "88" → 880."""
    try:
        value = Decimal((text or "").strip().removesuffix("折"))
    except InvalidOperation as exc:
        raise forms.ValidationError(_("Enter a discount such as 9, 8.5 or 95 (折).")) from exc
    if not value.is_finite() or value <= 0:
        raise forms.ValidationError(_("Enter a discount such as 9, 8.5 or 95 (折)."))
    if value < 10:
        permille = value * 100
    elif value < 100 and value == value.to_integral_value():
        permille = value * 10
    else:
        raise forms.ValidationError(_("Enter a discount such as 9, 8.5 or 95 (折)."))
    if permille != permille.to_integral_value() or not 1 <= permille <= 999:
        raise forms.ValidationError(_("Enter a discount such as 9, 8.5 or 95 (折)."))
    return int(permille)


def permille_to_zhe(permille: int) -> str:
    """900 → "9", 850 → "8.5", 875 → "8.75"."""
    return format(Decimal(permille) / 100, "f").rstrip("0").rstrip(".")


def parse_date_ranges(text: str) -> list[tuple[dt.date, dt.date]]:
    """One range per line: "2026-10-01 ~ 2026-10-07", or one day "2026-10-01"."""
    ranges = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        parts = _RANGE_SPLIT.split(line, maxsplit=1)
        try:
            first = dt.date.fromisoformat(parts[0].strip())
            last = dt.date.fromisoformat(parts[-1].strip())
        except ValueError as exc:
            raise forms.ValidationError(
                _("“%(line)s” is not a date or a range like 2026-10-01 ~ 2026-10-07."),
                params={"line": line[:40]},
            ) from exc
        if first > last:
            raise forms.ValidationError(
                _("“%(line)s” ends before it starts."), params={"line": line[:40]}
            )
        ranges.append((first, last))
    return ranges


def format_date_ranges(ranges: Iterable[Iterable[str]]) -> str:
    return "\n".join(
        " ~ ".join(pair) if pair[0] != pair[1] else pair[0] for pair in map(list, ranges)
    )


class PromotionForm(TablerForm):
    """A promotion, or the next version of one (``code`` then stays as it is)."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100, required=False)
    code = forms.RegexField(
        label=_("Promotion code"),
        regex=r"^[A-Za-z0-9_-]{1,40}$",
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "fuel92-wed", "autocomplete": "off"}),
        help_text=_(
            "Letters, digits, - and _. Publishing the same code again makes a new version."
        ),
        error_messages={"invalid": _("Letters, digits, - and _ only.")},
    )
    name = forms.CharField(
        label=_("Name (shown on receipts)"),
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": "92# 周三每升减0.30"}),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=KINDS, widget=forms.RadioSelect)
    value = forms.CharField(
        label=_("Discount (折) or amount (¥)"),
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.30"}),
        help_text=_("Percent off: in 折 (9 = 10% off). Amount off and fixed price: in yuan."),
    )
    products = forms.CharField(
        label=_("Products (SKU or barcode)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "FUEL-92, 6901234567892"}),
        help_text=_(
            "Separated by commas, spaces or new lines. Leave products and categories empty for everything."
        ),
    )
    categories = forms.MultipleChoiceField(
        label=_("Categories"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A category covers its subcategories."),
    )
    stores = forms.TypedMultipleChoiceField(
        label=_("Stores"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every store."),
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Weekdays"),
        coerce=int,
        choices=WEEKDAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    on_holidays = forms.BooleanField(label=_("Also on public holidays"), required=False)
    date_ranges = forms.CharField(
        label=_("Dates"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "2026-10-01 ~ 2026-10-07"}),
        help_text=_("One date or range per line (store's local dates). Empty: any date."),
    )
    effective_from = forms.DateTimeField(
        label=_("In force from"),
        required=False,
        input_formats=LOCAL_INPUT,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Store's local time. Empty: now."),
    )
    effective_to = forms.DateTimeField(
        label=_("Until"),
        required=False,
        input_formats=LOCAL_INPUT,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Store's local time, not included. Empty: until ended."),
    )
    priority = forms.IntegerField(
        label=_("Priority"),
        min_value=0,
        max_value=10_000,
        initial=100,
        help_text=_("Where two promotions cover a line, the lower number wins."),
    )
    stacking = forms.ChoiceField(
        label=_("With the member discount"),
        choices=STACKING,
        initial=Promotion.Stacking.BEST_OF,
        widget=forms.RadioSelect,
    )

    def __init__(
        self,
        *args: Any,
        categories: Iterable[Category],
        stores: Iterable[Store],
        fixed_code: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [  # type: ignore[attr-defined]
            (c.code, f"{'　' * c.depth}{c.name} ({c.code})") for c in categories
        ]
        self.fields["stores"].choices = store_choices(stores)  # type: ignore[attr-defined]
        for name in ("kind", "stacking"):
            self.fields[name].widget.attrs["class"] = "form-check-input"
        self.fixed_code = fixed_code
        if fixed_code:
            self.fields["code"].disabled = True
            self.initial["code"] = fixed_code
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    @staticmethod
    def initial_for(row: Promotion, products: Iterable[Product]) -> dict[str, Any]:
        """A published version as the form's starting point for the next one."""
        percent = row.kind == Promotion.Kind.PERCENT_OFF
        return {
            "code": row.code,
            "name": row.name,
            "kind": row.kind,
            "value": permille_to_zhe(row.value) if percent else fen_to_input(row.value),
            "products": ", ".join(p.barcode or p.sku for p in products),
            "categories": list(row.category_codes or ()),
            "stores": [str(i) for i in row.store_ids or ()],
            "weekdays": [str(d) for d in row.weekdays or ()],
            "on_holidays": row.on_holidays,
            "date_ranges": format_date_ranges(row.date_ranges or ()),
            "priority": row.priority,
            "stacking": row.stacking,
        }

    def clean_products(self) -> list[int]:
        codes = split_list(self.cleaned_data.get("products", ""))
        if len(codes) > MAX_PRODUCTS:
            raise forms.ValidationError(_("At most 500 products."))
        ids: list[int] = []
        unknown = []
        for code in codes:
            product = catalog_selectors.product_by_code(code)
            if product is None:
                unknown.append(code)
            elif product.pk not in ids:
                ids.append(product.pk)
        if unknown:
            raise forms.ValidationError(
                _("Unknown SKU or barcode: %(codes)s"), params={"codes": "、".join(unknown[:10])}
            )
        return ids

    def clean_date_ranges(self) -> list[tuple[dt.date, dt.date]]:
        return parse_date_ranges(self.cleaned_data.get("date_ranges", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.fixed_code:
            data["code"] = self.fixed_code
        kind, text = data.get("kind"), data.get("value")
        if kind and text is not None and "value" not in self.errors:
            try:
                if kind == Promotion.Kind.PERCENT_OFF:
                    data["value"] = zhe_to_permille(text)
                else:
                    data["value"] = yuan_to_fen(text.strip().lstrip("¥￥"))
            except forms.ValidationError as exc:
                self.add_error("value", exc)
            except DomainError as exc:
                self.add_error("value", str(exc.message))
        return data


class HolidayForm(TablerForm):
    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    name = forms.CharField(
        label=_("Holiday name"),
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": "国庆节"}),
    )
