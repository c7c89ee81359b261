"""The joining policy form (自动入会, M2)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.cards.models import CardType
from huiyuan.checkout.models import JoiningPolicy
from huiyuan.console.admin_forms import TablerForm
from huiyuan.console.config.forms.fields import YuanField, fen_to_input


class JoiningPolicyForm(TablerForm):
    mode = forms.ChoiceField(
        label=_("A walk-in customer who gives a mobile joins"),
        choices=JoiningPolicy.Mode.choices,
        widget=forms.RadioSelect,
    )
    threshold = YuanField(
        label=_("Spend threshold (¥)"),
        required=False,
        allow_zero=True,
        help_text=_("For 满额入会: one purchase at the walk-in price reaching this amount."),
    )
    fee = YuanField(
        label=_("Joining fee (¥, 工本费)"),
        required=False,
        allow_zero=True,
        help_text=_("Charged as a line of the joining sale; empty or 0: free."),
    )
    card_type = forms.ModelChoiceField(
        label=_("Card issued"),
        queryset=CardType.objects.none(),
        required=False,
        empty_label=_("The first named card type"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["card_type"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = CardType.objects.filter(is_active=True, anonymous=False).order_by("pk")

    @staticmethod
    def initial_for(policy: JoiningPolicy) -> dict[str, object]:
        return {
            "mode": policy.mode,
            "threshold": fen_to_input(policy.threshold_fen) if policy.threshold_fen else "",
            "fee": fen_to_input(policy.fee_fen) if policy.fee_fen else "",
            "card_type": policy.card_type_id,
        }
