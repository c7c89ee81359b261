"""The store-scope policy (通存通兑): one choice of reach per configurable operation."""

from __future__ import annotations

from typing import Any

from django import forms

from huiyuan.stores.scope import CONFIGURABLE_OPS, OPS, REACH_LABELS, Reach, ScopeOp


class StoreScopePolicyForm(forms.Form):
    """A radio pair per operation: at any store of the chain, or only at the card's own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for op in CONFIGURABLE_OPS:
            self.fields[op.value] = forms.ChoiceField(
                label=str(OPS[op].label),
                choices=[(r.value, REACH_LABELS[r]) for r in Reach],
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                help_text=str(OPS[op].why),
            )

    @staticmethod
    def initial_for(policy: dict[ScopeOp, Reach]) -> dict[str, str]:
        return {op.value: policy[op].value for op in CONFIGURABLE_OPS}

    def rules(self) -> dict[str, str]:
        return {op.value: self.cleaned_data[op.value] for op in CONFIGURABLE_OPS}
