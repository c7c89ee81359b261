"""Forms of the back-office pages. They parse input; services decide and write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.selectors import action_choices
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import ROLE_LABELS, Actor, Role
from huiyuan.members.models import CustomField
from huiyuan.stores.api_scopes import SCOPE_LABELS, Scope
from huiyuan.stores.models import ApiKey, Staff, Store, Terminal
from huiyuan.stores.services import staff_roles_grantable

# Roles a terminal's API key may carry (never owner or head-office admin).
API_KEY_ROLES = (Role.CASHIER, Role.STORE_MANAGER, Role.CALL_CENTER, Role.MARKETER)

TAG_COLORS = [
    ("blue", _("Blue")),
    ("azure", _("Azure")),
    ("green", _("Green")),
    ("lime", _("Lime")),
    ("yellow", _("Yellow")),
    ("orange", _("Orange")),
    ("red", _("Red")),
    ("pink", _("Pink")),
    ("purple", _("Purple")),
    ("teal", _("Teal")),
]


def add_domain_error(
    form: forms.Form, exc: DomainError, *, aliases: dict[str, str] | None = None
) -> None:
    """Show a service's refusal on the field it names (``aliases`` maps a service's
    argument to the form's field), or above the form."""
    field = (aliases or {}).get(exc.field or "", exc.field)
    if field in form.fields:
        widget = form.fields[field].widget
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
        form.add_error(field, str(exc.message))
    else:
        form.add_error(None, str(exc.message))


class TablerForm(forms.Form):
    """A form whose widgets carry Tabler's classes, and ``is-invalid`` once it has errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(
                widget, forms.CheckboxSelectMultiple | forms.CheckboxInput | forms.RadioSelect
            ):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = css

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def _store_choices(stores: Iterable[Store]) -> list[tuple[str, str]]:
    return [(str(s.pk), f"{s.code} · {s.name}") for s in stores]


class AuditFilterForm(TablerForm):
    member = forms.CharField(
        label=_("Member"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": _("Member number, mobile or ID")}),
    )
    staff = forms.TypedChoiceField(label=_("Staff member"), required=False, coerce=int)
    store = forms.TypedChoiceField(label=_("Store"), required=False, coerce=int)
    action = forms.ChoiceField(label=_("Action"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self,
        *args: Any,
        stores: Iterable[Store],
        staff: Iterable[Staff],
        actions: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        everyone = [("", _("All"))]
        self.fields["staff"].choices = everyone + [  # type: ignore[attr-defined]
            (str(s.pk), f"{s} ({s.username})") for s in staff
        ]
        self.fields["store"].choices = everyone + _store_choices(stores)  # type: ignore[attr-defined]
        self.fields["action"].choices = everyone + (  # type: ignore[attr-defined]
            action_choices() if actions is None else actions
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: dt.date | None = data.get("date_from")
        end: dt.date | None = data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class StoreForm(TablerForm):
    code = forms.CharField(label=_("Store code"), max_length=20)
    name = forms.CharField(label=_("Store name"), max_length=100)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)


class TerminalForm(TablerForm):
    code = forms.CharField(
        label=_("Terminal code"),
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": "POS-01"}),
    )
    name = forms.CharField(
        label=_("Terminal name"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Checkout 1")}),
    )


class StaffForm(TablerForm):
    username = forms.CharField(label=_("User name"), max_length=150)
    display_name = forms.CharField(label=_("Name"), max_length=50)
    mobile = forms.CharField(label=_("Mobile"), max_length=20, required=False)
    role = forms.ChoiceField(label=_("Role"))
    stores = forms.TypedMultipleChoiceField(
        label=_("Stores"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits. Ask them to change it."),
    )

    def __init__(self, *args: Any, actor: Actor, stores: Iterable[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the roles the actor may give (a store manager: cashier, store manager).
        roles = staff_roles_grantable(actor)
        self.fields["role"].choices = [(r.value, ROLE_LABELS[r]) for r in roles]  # type: ignore[attr-defined]
        self.fields["role"].initial = Role.CASHIER.value
        self.fields["stores"].choices = _store_choices(stores)  # type: ignore[attr-defined]


class StaffPasswordForm(TablerForm):
    """A new password for a staff member who forgot theirs, typed twice."""

    new_password = forms.CharField(
        label=_("New password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits. Ask them to change it."),
    )
    new_password_again = forms.CharField(
        label=_("New password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, again = data.get("new_password"), data.get("new_password_again")
        if first and again and first != again:
            self.add_error("new_password_again", _("The two new passwords differ."))
        return data


# A service's argument → the staff forms' field.
STAFF_FIELD_ALIASES = {"store_ids": "stores"}


def staff_fields(data: dict[str, Any]) -> dict[str, Any]:
    """What the staff form (new and edit) gives ``staff_create`` and ``staff_update``."""
    return {
        "display_name": data["display_name"],
        "role": data["role"],
        "store_ids": data["stores"],
        "mobile": data["mobile"],
    }


def staff_form_save(form: forms.Form, save: Callable[[dict[str, Any]], Staff]) -> Staff | None:
    """The one way the staff pages (create, edit, new password) call their service: with
    the valid form's data; a refusal goes on the form, on the field it names, and nothing is
    written (None). Lacking the permission altogether is the 403 page; a refusal of this
    role, store or person (``role_forbidden``, ``store_forbidden``, ``owner_only``…) says
    why on the form."""
    try:
        return save(form.cleaned_data)
    except DomainError as exc:
        if exc.code in ("permission_denied", "scope_missing"):
            raise HttpForbidden(str(exc.message)) from exc
        add_domain_error(form, exc, aliases=STAFF_FIELD_ALIASES)
        return None


class ApiKeyForm(TablerForm):
    terminal = forms.TypedChoiceField(label=_("Terminal"), coerce=int)
    name = forms.CharField(
        label=_("Key name"),
        max_length=100,
        required=False,
        help_text=_("For example, the POS software's name. Defaults to the terminal's name."),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(r.value, ROLE_LABELS[r]) for r in API_KEY_ROLES],
        initial=Role.CASHIER.value,
        help_text=_("What the key may do, like a staff member with this role at that store."),
    )
    # Optional here (none chosen: everything the role allows, 600 a minute); required when
    # changed later (ApiKeyLimitsForm).
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=[(s.value, SCOPE_LABELS[s]) for s in Scope],
        initial=[Scope.ALL.value],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The key may do only what its role and one of its scopes allow."),
    )
    rate_limit_per_minute = forms.IntegerField(
        label=_("Requests per minute"),
        min_value=1,
        max_value=100_000,
        initial=ApiKey.DEFAULT_RATE_LIMIT,
        required=False,
        help_text=_("Beyond this the API answers 429 and says when to retry."),
    )

    def __init__(self, *args: Any, terminals: Iterable[Terminal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["terminal"].choices = [("", _("Choose a terminal"))] + [  # type: ignore[attr-defined]
            (str(t.pk), f"{t.store.name} / {t.name} ({t.code})") for t in terminals
        ]


class ApiKeyLimitsForm(TablerForm):
    """A key's scopes and requests per minute (huiyuan/console/api_key_limits.py)."""

    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=[(s.value, SCOPE_LABELS[s]) for s in Scope],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The key may do only what its role and one of its scopes allow."),
    )
    rate_limit_per_minute = forms.IntegerField(
        label=_("Requests per minute"),
        min_value=1,
        max_value=100_000,
        help_text=_("Beyond this the API answers 429 and says when to retry."),
    )


class TagForm(TablerForm):
    name = forms.CharField(label=_("Tag name"), max_length=30)
    color = forms.ChoiceField(label=_("Colour"), choices=TAG_COLORS, initial="blue")


class CustomFieldForm(TablerForm):
    label = forms.CharField(
        label=_("Label"),
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Licence plate")}),
    )
    key = forms.CharField(
        label=_("Key"),
        max_length=40,
        help_text=_("Used by the API and exports: lowercase letters, digits and underscores."),
        widget=forms.TextInput(attrs={"placeholder": "plate_number"}),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=CustomField.Kind.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For a choice field: one choice per line."),
    )
    required = forms.BooleanField(label=_("Required on new archives"), required=False)

    def choice_list(self) -> list[str]:
        raw: str = self.cleaned_data.get("choices") or ""
        return [line.strip() for line in raw.replace("，", "\n").splitlines() if line.strip()]
