"""Tier forms: a tier, and the tier policy."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.console.admin_forms import TablerForm
from huiyuan.core.errors import DomainError
from huiyuan.core.money import yuan_to_fen
from huiyuan.tiers.models import Tier, TierPolicy


class TierPolicyForm(TablerForm):
    evaluation_period = forms.ChoiceField(
        label=_("Evaluate tiers"),
        choices=TierPolicy.Period.choices,
        help_text=_("At each period end, members under their tier's retention bar move down."),
    )
    inactive_termination_days = forms.IntegerField(
        label=_("Terminate members inactive for days"),
        required=False,
        min_value=30,
        max_value=3650,
        help_text=_("Leave empty to never terminate inactive members."),
    )

    @classmethod
    def initial_for(cls, policy: TierPolicy) -> dict[str, Any]:
        return {name: getattr(policy, name) for name in cls.base_fields}


class TierForm(TablerForm):
    code = forms.SlugField(
        label=_("Code"), max_length=30, widget=forms.TextInput(attrs={"placeholder": "gold"})
    )
    name = forms.CharField(
        label=_("Tier name"),
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": "金卡会员"}),
    )
    level = forms.IntegerField(
        label=_("Level"),
        min_value=0,
        max_value=100,
        help_text=_("Higher is better; the lowest level is where every member starts."),
    )
    basis = forms.ChoiceField(
        label=_("Threshold on"), choices=Tier.Basis.choices, initial=Tier.Basis.SPEND
    )
    threshold = forms.CharField(
        label=_("Threshold"),
        max_length=16,
        initial="0",
        help_text=_("Yuan for spend; points or growth value otherwise."),
    )
    retention = forms.CharField(
        label=_("Retention bar"),
        max_length=16,
        initial="0",
        help_text=_("Below this at the period end, the member moves down."),
    )
    window_days = forms.IntegerField(
        label=_("Rolling window (days)"), initial=365, min_value=1, max_value=3650
    )
    discount = forms.CharField(
        label=_("Discount (折)"),
        max_length=5,
        required=False,
        initial="10",
        widget=forms.TextInput(attrs={"placeholder": "9.5"}),
        help_text=_("9.5 = 95折 (pay 95%); 10 or empty = no discount."),
    )
    category_discounts = forms.CharField(
        label=_("Discount by category"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "drinks=9, fuel=10"}),
        help_text=_(
            "Category code = 折 per category, e.g. drinks=9, fuel=10 (no discount); "
            "the most specific category of a product wins over the discount above."
        ),
    )
    points_multiplier_pct = forms.IntegerField(
        label=_("Points multiplier %"), initial=100, min_value=1, max_value=10_000
    )
    privileges = forms.CharField(
        label=_("Privileges"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "免费停车2小时\n生日礼券"}),
    )

    def __init__(self, *args: Any, tiers: Iterable[Tier] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.existing = list(tiers)

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        if any(t.code == code for t in self.existing):
            raise forms.ValidationError(_("A tier with this code exists already."))
        return code

    def clean_level(self) -> int:
        level: int = self.cleaned_data["level"]
        if any(t.level == level for t in self.existing):
            raise forms.ValidationError(_("Another tier has this level."))
        return level

    def _amount(self, name: str) -> int:
        text = (self.cleaned_data.get(name) or "0").strip()
        if self.cleaned_data.get("basis") == Tier.Basis.SPEND:
            try:
                fen = yuan_to_fen(text)
            except DomainError as exc:
                raise forms.ValidationError(str(exc.message)) from exc
        else:
            if not text.isdigit():
                raise forms.ValidationError(_("Enter a whole number, zero or more."))
            fen = int(text)
        if fen < 0:
            raise forms.ValidationError(_("Enter a whole number, zero or more."))
        return fen

    def clean_category_discounts(self) -> dict[str, int]:
        text = self.cleaned_data.get("category_discounts") or ""
        rates: dict[str, int] = {}
        for part in re.split(r"[,，、;；\s]+", text.strip()):
            if not part:
                continue
            code, sep, rate = part.partition("=")
            code = code.strip()
            if not sep or not code:
                raise forms.ValidationError(_("Write each category as code=折, e.g. drinks=9."))
            rates[code] = _permille(rate)
        return rates

    def clean_discount(self) -> int:
        return _permille(self.cleaned_data.get("discount") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "basis" in data:
            for name in ("threshold", "retention"):
                if name in data:
                    try:
                        data[f"{name}_value"] = self._amount(name)
                    except forms.ValidationError as exc:
                        self.add_error(name, exc)
        return data

    def tier_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "code": data.get("code"),
            "name": data["name"].strip(),
            "level": data.get("level"),
            "basis": data["basis"],
            "threshold": data["threshold_value"],
            "retention": data["retention_value"],
            "window_days": data["window_days"],
            "discount_permille": data["discount"],
            "points_multiplier_pct": data["points_multiplier_pct"],
            "privileges": data["privileges"].strip(),
            "category_discounts": data["category_discounts"],
        }


def _permille(typed: str) -> int:
    """折 as typed (9.5, 9.5折; empty: no discount) → price paid in ‰."""
    text = typed.strip().rstrip("折")
    if not text:
        return 1000
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise forms.ValidationError(_("Enter a discount like 9.5 (95折).")) from None
    permille = value * 100
    if not value.is_finite() or permille != permille.to_integral_value():
        raise forms.ValidationError(_("Enter a discount like 9.5 (95折).")) from None
    if not 1 <= permille <= 1000:
        raise forms.ValidationError(_("A discount is between 0.01 and 10 (no discount)."))
    return int(permille)


class TierEditForm(TierForm):
    """Edit a tier: its code and level stay; its terms apply from a chosen date."""

    effective_from = forms.DateField(
        label=_("New terms apply from"),
        # ISO, whatever the language: a date input reads only YYYY-MM-DD.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "Threshold, retention, discount and points apply from this business date; "
            "earlier sales and evaluations keep the terms they had. Name and privileges "
            "change at once."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["code"]
        del self.fields["level"]

    @classmethod
    def initial_for(cls, tier: Tier, today: dt.date) -> dict[str, Any]:
        """The tier's terms in force (``tier`` carries them) as the form shows them."""

        def amount(value: int) -> str:
            if tier.basis == Tier.Basis.SPEND:
                whole, cents = divmod(value, 100)
                return f"{whole}.{cents:02d}".removesuffix(".00")
            return str(value)

        return {
            "name": tier.name,
            "basis": tier.basis,
            "threshold": amount(tier.threshold),
            "retention": amount(tier.retention),
            "window_days": tier.window_days,
            "discount": permille_to_zhe(tier.discount_permille),
            "category_discounts": ", ".join(
                f"{code}={permille_to_zhe(p) or '10'}"
                for code, p in (tier.category_discounts or {}).items()
            ),
            "points_multiplier_pct": tier.points_multiplier_pct,
            "privileges": tier.privileges,
            "effective_from": today,
        }

    def tier_changes(self) -> dict[str, Any]:
        fields = self.tier_fields()
        del fields["code"], fields["level"]
        fields["effective_from"] = self.cleaned_data["effective_from"]
        return fields


def permille_to_zhe(permille: int) -> str:
    """Price paid in ‰ as 折 typed in the form: 950 → ``9.5``; 1000 → empty (no discount)."""
    if permille >= 1000:
        return ""
    whole, rest = divmod(permille, 100)
    return f"{whole}.{rest:02d}".rstrip("0").rstrip(".")
