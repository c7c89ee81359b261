"""The events page's filter form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huiyuan.events.models import OutboxEvent
from huiyuan.events.names import EVENTS


class EventFilterForm(forms.Form):
    name = forms.ChoiceField(label=_("Event"), required=False)
    status = forms.ChoiceField(
        label=pgettext_lazy("event", "Delivery"),
        required=False,
        choices=[("", _("Any status")), *OutboxEvent.Status.choices],
    )
    member = forms.IntegerField(label=_("Member id"), required=False, min_value=1)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        names = [(name, f"{spec.label} ({name})") for name, spec in sorted(EVENTS.items())]
        self.fields["name"].choices = [("", _("Every event")), *names]  # type: ignore[attr-defined]
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", css)
