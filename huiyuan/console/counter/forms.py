"""Forms of the counter pages: they parse what staff type or scan; services decide.

Every form that moves money or points carries a hidden ``idempotency_key``: a fresh uuid4
when the form is rendered, sent back unchanged, so that a double click or a browser retry
has one effect.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huiyuan.core.errors import DomainError, PermissionDenied, ValidationFailed
from huiyuan.core.money import yuan_to_fen
from huiyuan.stores.services import ManagerAuthorisation
from huiyuan.wallet.models import PaymentMethod

CATEGORY_SUGGESTIONS = ("92#汽油", "95#汽油", "98#汽油", "0#柴油", "便利店", "洗车", "餐饮")


def new_key() -> str:
    return uuid.uuid4().hex


class YuanField(forms.Field):
    """An amount typed in yuan (``"12.3"``, ``"¥1,200"``), cleaned to integer fen."""

    def __init__(self, *, allow_zero: bool = False, **kwargs: Any) -> None:
        self.allow_zero = allow_zero
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"inputmode": "decimal", "autocomplete": "off", "maxlength": "20"}
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:
        text = str(value or "").strip()[:20]
        if not text:
            return None
        try:
            fen = yuan_to_fen(text)
        except ValidationFailed as exc:
            raise forms.ValidationError(str(exc.message), code=exc.code) from exc
        if fen < 0 or (fen == 0 and not self.allow_zero):
            raise forms.ValidationError(_("Enter an amount above zero."), code="invalid_amount")
        return fen


class CardNumberField(forms.CharField):
    """A card number, typed or scanned (a scanner types it and presses Enter)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Card number"))
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "autocomplete": "off",
                    "inputmode": "numeric",
                    "placeholder": _("Scan or type the card number"),
                }
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return "".join(str(super().to_python(value) or "").split())


class IdempotentForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_key())


def method_choices() -> list[tuple[str, str]]:
    """How money is taken at the counter: not "online self-service", which is the member
    paying in the portal (huiyuan/payments), never something a cashier picks."""
    return [
        (value, str(label))
        for value, label in PaymentMethod.choices
        if value != PaymentMethod.ONLINE
    ]


class RechargeForm(IdempotentForm):
    card = CardNumberField()
    amount = YuanField(label=_("Amount (yuan)"))
    method = forms.ChoiceField(label=_("Paid by"), choices=method_choices, initial="cash")
    package = forms.TypedChoiceField(
        label=_("Recharge package"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, packages: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["package"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (str(p.pk), p.name) for p in packages or []
        ]


# A manager's authorisation refused (a return, a reversal, a refund): shown on its fields.
AUTHORISATION_CODES = {"authorisation_required", "authorisation_failed", "authoriser_not_allowed"}


class RefundForm(IdempotentForm):
    """退款; for a cashier without ``wallet.refund`` (``authorise``), also a manager's
    username and password (checked by the service, which audits both)."""

    card = CardNumberField()
    amount = YuanField(label=_("Refund amount (yuan)"))
    method = forms.ChoiceField(label=_("Paid back by"), choices=method_choices, initial="cash")
    reason = forms.CharField(label=_("Reason"), max_length=200)
    manager_username = forms.CharField(label=_("Manager username"), max_length=150, required=False)
    manager_password = forms.CharField(
        label=_("Manager password"), max_length=128, required=False, widget=forms.PasswordInput
    )

    def __init__(self, *args: Any, authorise: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.authorise = authorise
        if not authorise:
            del self.fields["manager_username"]
            del self.fields["manager_password"]
        else:
            self.fields["manager_username"].widget.attrs["autocomplete"] = "off"
            self.fields["manager_password"].widget.attrs["autocomplete"] = "new-password"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.authorise and not (data.get("manager_username") and data.get("manager_password")):
            self.add_error(
                "manager_username",
                _("A refund needs a manager's authorisation: enter their username and password."),
            )
        return data

    def authorisation(self, request: HttpRequest) -> ManagerAuthorisation | None:
        """The manager's authorisation entered, or None when the form asks for none."""
        if not self.authorise:
            return None
        data = self.cleaned_data
        return ManagerAuthorisation(data["manager_username"], data["manager_password"], request)


class QuickSaleForm(IdempotentForm):
    card = CardNumberField(required=False)
    amount = YuanField(label=_("Amount (yuan)"))
    category = forms.CharField(
        label=pgettext_lazy("sale", "Category"), max_length=40, required=False
    )
    balance = YuanField(label=_("Pay from balance (yuan)"), required=False, allow_zero=True)
    points = forms.IntegerField(label=_("Points to use"), required=False, min_value=0)
    # No method is preselected: Enter on the amount alone must not take cash by default.
    external_method = forms.ChoiceField(
        label=_("The rest paid by"), choices=method_choices, required=False
    )
    pin = forms.CharField(  # the member's payment PIN (W2, huiyuan/payments), never kept
        label=_("Member's payment PIN"),
        required=False,
        max_length=6,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class ReverseSaleForm(IdempotentForm):
    """撤销消费: a reason, and a manager's username and password when the cashier may not
    reverse on their own (checked by the service, which audits both)."""

    reason = forms.CharField(label=_("Reason for the reversal"), max_length=200)
    manager_username = forms.CharField(label=_("Manager username"), required=False)
    manager_password = forms.CharField(
        label=_("Manager password"), required=False, widget=forms.PasswordInput
    )


class PointsAdjustForm(IdempotentForm):
    card = CardNumberField()
    delta = forms.IntegerField(
        label=_("Points (+ to add, − to remove)"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def clean_delta(self) -> int:
        delta: int = self.cleaned_data["delta"]
        if delta == 0:
            raise forms.ValidationError(_("Enter a non-zero whole number of points."))
        return delta


class IssueCardForm(IdempotentForm):
    card_type = forms.TypedChoiceField(label=_("Card type"), coerce=int)
    number = forms.CharField(
        label=_("Physical card number"),
        required=False,
        max_length=32,
        help_text=_("Leave empty to issue an electronic card with a generated number."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, card_types: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(t.pk), t.name) for t in card_types or []]
        self.fields["card_type"].choices = choices  # type: ignore[attr-defined]
        if len(choices) == 1 and not self.is_bound:
            self.initial["card_type"] = choices[0][0]


class CardReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class CardFoundForm(forms.Form):
    reason = forms.CharField(label=_("Note"), max_length=200, required=False)


class ReissueForm(IdempotentForm):
    number = forms.CharField(
        label=_("New physical card number"),
        required=False,
        max_length=32,
        help_text=_("Leave empty for a generated number."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class RenewForm(forms.Form):
    months = forms.IntegerField(
        label=_("Extend by months"),
        required=False,
        min_value=1,
        max_value=1200,
        help_text=_("Leave empty for the card type's validity."),
    )


class AddHolderForm(forms.Form):
    member = forms.CharField(
        label=_("Member number or mobile"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "inputmode": "numeric",
                "placeholder": _("The member who will share the card"),
            }
        ),
    )

    def clean_member(self) -> str:
        return "".join(str(self.cleaned_data["member"]).split())


class SupplementForm(IdempotentForm):
    receipt = forms.CharField(
        label=_("Receipt number"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    card = CardNumberField()


class TierMoveForm(forms.Form):
    tier = forms.TypedChoiceField(label=_("Move to tier"), coerce=int)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    protected_until = forms.DateField(
        label=_("Keep from downgrade until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, tiers: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [  # type: ignore[attr-defined]
            (str(t.pk), t.name) for t in tiers or []
        ]


# How the services name fields, and which form field shows the message.
SERVICE_FIELDS = {
    "amount": "amount",
    "method": "method",
    "package_id": "package",
    "external_method": "external_method",
    "points": "points",
    "reason": "reason",
    "number": "number",
    "card_type_id": "card_type",
    "pin": "pin",
}


def show_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Put a service's refusal next to its field, or above the form.

    A permission refusal is not a form error: it goes on to the 403 page.
    """
    if isinstance(exc, PermissionDenied):
        raise exc
    name = SERVICE_FIELDS.get(exc.field or "")
    form.add_error(name if name in form.fields else None, str(exc.message))
