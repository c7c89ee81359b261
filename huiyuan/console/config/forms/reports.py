"""The reports' year choice."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms


class ReportYearForm(forms.Form):
    year = forms.TypedChoiceField(coerce=int, required=False)

    def __init__(self, *args: Any, years: Iterable[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(str(y), str(y)) for y in years]  # type: ignore[attr-defined]
        self.fields["year"].widget.attrs["class"] = "form-select"
