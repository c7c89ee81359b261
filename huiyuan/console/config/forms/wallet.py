"""Stored-value forms: recharge packages and the prepaid-card policy."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.console.admin_forms import TablerForm
from huiyuan.console.config.forms.fields import YuanField, fen_to_input
from huiyuan.wallet.models import WalletPolicy


class RechargePackageForm(TablerForm):
    name = forms.CharField(
        label=_("Package name"),
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": "充500送50"}),
    )
    pay = YuanField(label=_("Pay (¥)"), widget=forms.TextInput(attrs={"placeholder": "500.00"}))
    bonus = YuanField(
        label=_("Bonus given (¥)"),
        required=False,
        allow_zero=True,
        widget=forms.TextInput(attrs={"placeholder": "50.00"}),
    )
    bonus_valid_days = forms.IntegerField(
        label=_("Bonus valid for days"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=_("Empty: the stored-value policy's validity applies."),
    )


class WalletPolicyForm(TablerForm):
    spend_order = forms.ChoiceField(
        label=_("Spending order"), choices=WalletPolicy.SpendOrder.choices
    )
    named_limit = YuanField(
        label=_("Named card limit (¥)"),
        help_text=_("Stored value a named card may hold. The regulation's ceiling is ¥5,000."),
    )
    anonymous_limit = YuanField(
        label=_("Anonymous card limit (¥)"),
        help_text=_("Stored value an anonymous card may hold. The regulation's ceiling is ¥1,000."),
    )
    bonus_valid_days = forms.IntegerField(
        label=_("Bonus valid for days"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=_("Empty: bonus never expires."),
    )

    @classmethod
    def initial_for(cls, policy: WalletPolicy) -> dict[str, Any]:
        return {
            "spend_order": policy.spend_order,
            "named_limit": fen_to_input(policy.named_limit_fen),
            "anonymous_limit": fen_to_input(policy.anonymous_limit_fen),
            "bonus_valid_days": policy.bonus_valid_days,
        }

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "spend_order": data["spend_order"],
            "named_limit_fen": data["named_limit"],
            "anonymous_limit_fen": data["anonymous_limit"],
            "bonus_valid_days": data["bonus_valid_days"],
        }
