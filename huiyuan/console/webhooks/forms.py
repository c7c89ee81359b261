"""Webhook forms: a subscription (name, URL, events) and the delivery-log filter."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.console.admin_forms import TablerForm
from huiyuan.events.names import EVENTS, event_label


def _event_choices() -> list[tuple[str, str]]:
    return [(name, f"{event_label(name)} · {name}") for name in sorted(EVENTS)]


class SubscriptionForm(TablerForm):
    name = forms.CharField(
        label=_("Webhook name"),
        max_length=100,
        help_text=_("Who receives it, for example the ERP or the mini-program."),
    )
    url = forms.CharField(
        label=_("Target URL"),
        max_length=500,
        help_text=_("An https address on the internet. Each request is signed with the secret."),
    )
    event_names = forms.MultipleChoiceField(
        label=_("Events"), choices=_event_choices, widget=forms.CheckboxSelectMultiple
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class DeliveryFilterForm(TablerForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("All")),
            ("pending", _("Pending")),
            ("succeeded", _("Delivered")),
            ("failed", _("Failed")),
        ],
    )
    event = forms.ChoiceField(
        label=_("Event"),
        required=False,
        choices=lambda: [("", _("All events")), *_event_choices()],
    )
