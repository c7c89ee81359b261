"""Forms of the import pages: the upload, and the column mapping."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.console.admin_forms import TablerForm
from huiyuan.core.permissions import Actor, Perm
from huiyuan.imports.columns import columns_of
from huiyuan.imports.models import ImportKind


class UploadForm(TablerForm):
    kind = forms.ChoiceField(label=_("What to import"))
    file = forms.FileField(
        label=_("File (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
        help_text=_("The first row names the columns. CSV in UTF-8 or GBK. Up to 1,000,000 rows."),
    )
    store = forms.TypedChoiceField(label=_("Store"), coerce=int)
    update_existing = forms.BooleanField(
        label=_("Update members already here (matched by mobile)"), required=False
    )
    card_type = forms.TypedChoiceField(
        label=_("Card type of the migrated cards"), coerce=int, required=False, empty_value=None
    )

    def __init__(
        self,
        *args: Any,
        actor: Actor,
        stores: list[tuple[int, str]],
        card_types: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        kinds = []
        if actor.has(Perm.IMPORT_MEMBERS):
            kinds.append((ImportKind.MEMBERS.value, _("Members (会员资料)")))
        if actor.has(Perm.IMPORT_LEGACY):
            kinds.append((ImportKind.OPENING.value, _("Opening balances from a legacy system")))
        if actor.has(Perm.IMPORT_SALES):
            kinds.append((ImportKind.SALES.value, _("Sales history (for RFM and prediction)")))
        cast(forms.ChoiceField, self.fields["kind"]).choices = kinds
        cast(forms.ChoiceField, self.fields["store"]).choices = stores
        cast(forms.ChoiceField, self.fields["card_type"]).choices = [("", "—"), *card_types]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == ImportKind.OPENING and not data.get("card_type"):
            self.add_error("card_type", _("Choose the card type of the cards to create."))
        return data


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class MappingForm(TablerForm):
    """One choice per field: which column of the file holds it (or none)."""

    def __init__(
        self, *args: Any, kind: str, header: list[str], mapping: dict[str, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("— not imported —"))] + [
            (str(i), f"{_column_letter(i)} · {text or '—'}") for i, text in enumerate(header)
        ]
        for column in columns_of(kind):
            self.fields[column.name] = forms.ChoiceField(
                label=str(column.label),
                choices=choices,
                required=column.required,
                initial=str(mapping[column.name]) if column.name in mapping else "",
            )
            self.fields[column.name].widget.attrs["class"] = "form-select"

    def mapping(self) -> dict[str, int]:
        return {name: int(value) for name, value in self.cleaned_data.items() if value != ""}
