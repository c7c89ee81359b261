"""The reports' filters: the year of the quarters, and the store (within the viewer's)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.stores.models import Store


class ReportYearForm(forms.Form):
    year = forms.TypedChoiceField(coerce=int, required=False)
    store = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(
        self, *args: Any, years: Iterable[int], stores: Iterable[Store] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(str(y), str(y)) for y in years]  # type: ignore[attr-defined]
        self.fields["year"].widget.attrs["class"] = "form-select"
        self.fields["store"].choices = [("", _("All my stores"))] + [  # type: ignore[attr-defined]
            (str(s.pk), s.name) for s in stores
        ]
        self.fields["store"].widget.attrs["class"] = "form-select"
