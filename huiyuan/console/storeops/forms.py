"""Forms of the store-operations pages: shifts, commission rules, report periods."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huiyuan.console.admin_forms import TablerForm
from huiyuan.console.config.forms.fields import YuanField
from huiyuan.core.permissions import ROLE_LABELS, Role

OTHER_METHODS = (
    ("wechat", _("WeChat Pay")),
    ("alipay", _("Alipay")),
    ("bank_card", _("Bank card")),
    ("terminal", _("Payment terminal")),
)


class KeyedForm(TablerForm):
    """Carries an idempotency key: a double submit acts once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def key(self) -> str:
        return str(self.cleaned_data.get("idempotency_key") or uuid.uuid4().hex)


class ShiftOpenForm(KeyedForm):
    float_fen = YuanField(label=_("Cash float (¥)"), allow_zero=True, initial="0.00")
    terminal = forms.TypedChoiceField(
        label=_("Terminal"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, terminals: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["terminal"].choices = [("", _("— none —")), *terminals]  # type: ignore[attr-defined]


class ShiftCloseForm(KeyedForm):
    cash = YuanField(label=_("Cash counted (¥)"), allow_zero=True)
    wechat = YuanField(label=_("WeChat Pay (¥)"), allow_zero=True, required=False)
    alipay = YuanField(label=_("Alipay (¥)"), allow_zero=True, required=False)
    bank_card = YuanField(label=_("Bank card (¥)"), allow_zero=True, required=False)
    terminal = YuanField(label=_("Payment terminal (¥)"), allow_zero=True, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def counted(self) -> dict[str, int]:
        data = self.cleaned_data
        counted = {"cash": data["cash"] or 0}
        for method, _label in OTHER_METHODS:
            if data.get(method) is not None:
                counted[method] = data[method]
        return counted


class HandoverForm(ShiftCloseForm):
    next_cashier = forms.TypedChoiceField(label=_("Taken over by"), coerce=int)

    def __init__(self, *args: Any, cashiers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["next_cashier"].choices = cashiers  # type: ignore[attr-defined]


class DayForm(forms.Form):
    date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    store = forms.TypedChoiceField(label=_("Store"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, stores: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].choices = [("", _("All my stores")), *stores]  # type: ignore[attr-defined]


class PeriodForm(forms.Form):
    date = forms.DateField(
        label=pgettext_lazy("period", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("period", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    store = forms.TypedChoiceField(label=_("Store"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, stores: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].choices = [("", _("All my stores")), *stores]  # type: ignore[attr-defined]


class MonthForm(forms.Form):
    month = forms.RegexField(
        label=_("Month"),
        regex=r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$",
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}),
    )
    store = forms.TypedChoiceField(label=_("Store"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, stores: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].choices = [("", _("All my stores")), *stores]  # type: ignore[attr-defined]


ROLE_CHOICES = [("", _("Every role"))] + [(r.value, ROLE_LABELS[r]) for r in Role]


class CommissionRuleForm(KeyedForm):
    kind = forms.ChoiceField(
        label=_("Applies to"),
        choices=[("category", _("Product category")), ("recharge", _("Recharge"))],
    )
    category_code = forms.ChoiceField(label=_("Category"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, required=False)
    method = forms.ChoiceField(
        label=_("Method"),
        choices=[("percent", _("Percentage of the amount")), ("fixed", _("Fixed amount per unit"))],
    )
    percent = forms.DecimalField(
        label=_("Rate (%)"), required=False, min_value=0, max_value=100, decimal_places=2
    )
    fixed_fen = YuanField(label=_("Amount per unit (¥)"), required=False)

    def __init__(self, *args: Any, categories: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category_code"].choices = [("", "—"), *categories]  # type: ignore[attr-defined]

    def rate_bp(self) -> int:
        value = self.cleaned_data.get("percent")
        return int(value * 100) if value is not None else 0
