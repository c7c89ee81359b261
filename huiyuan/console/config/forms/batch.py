"""The enterprise batch recharge upload."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.console.admin_forms import TablerForm
from huiyuan.console.config.forms.fields import store_choices
from huiyuan.stores.models import Store
from huiyuan.wallet.models import PaymentMethod


class BatchUploadForm(TablerForm):
    file = forms.FileField(
        label=_("Spreadsheet (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
        help_text=_("Columns 卡号, 金额 (yuan) and optionally 备注; at most 5,000 rows."),
    )
    store = forms.TypedChoiceField(
        label=_("Recharged at store"),
        coerce=int,
        help_text=_("The store that received the company's payment (for settlement)."),
    )
    method = forms.ChoiceField(
        label=_("Paid by"),
        choices=PaymentMethod.choices,
        initial=PaymentMethod.ENTERPRISE,
    )

    def __init__(self, *args: Any, stores: Iterable[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].choices = store_choices(stores)  # type: ignore[attr-defined]
