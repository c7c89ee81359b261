"""Forms of the staff console: they parse what staff type; services decide what is allowed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.core import pii
from huiyuan.core.china import normalize_id_number, normalize_mobile
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Actor
from huiyuan.members.models import CustomField, Member, Tag
from huiyuan.members.selectors import FROZEN, MemberFilters
from huiyuan.members.services import LunarDate, MemberInput
from huiyuan.stores.models import Store
from huiyuan.tiers.models import Tier

# ----------------------------------------------------------------------------- auth


class LoginForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"), strip=False, widget=forms.PasswordInput
    )
    new_password = forms.CharField(label=_("New password"), strip=False, widget=forms.PasswordInput)
    new_password2 = forms.CharField(
        label=_("New password again"), strip=False, widget=forms.PasswordInput
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("The two new passwords differ."))
        return data


# -------------------------------------------------------------------------- filters


def store_choices() -> list[tuple[str, str]]:
    return [(str(s.pk), s.name) for s in Store.objects.filter(is_active=True).order_by("code")]


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=50)
    store = forms.TypedChoiceField(label=_("Store"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=_("Status"), required=False)
    tier = forms.TypedChoiceField(label=_("Tier"), required=False, coerce=int, empty_value=None)
    tag = forms.TypedChoiceField(label=_("Tag"), required=False, coerce=int, empty_value=None)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    joined_from = forms.DateField(
        label=_("Joined from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    joined_to = forms.DateField(
        label=_("Joined to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, actor: Actor | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        any_choice = [("", _("All"))]
        stores = store_choices()
        if actor is not None and actor.store_ids is not None:  # only the actor's stores
            stores = [(pk, name) for pk, name in stores if int(pk) in actor.store_ids]
        self.fields["store"].choices = any_choice + stores  # type: ignore[attr-defined]
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            *any_choice,
            *Member.Status.choices,
            (FROZEN, _("Frozen (earning or spending)")),
        ]
        tiers = list(Tier.objects.order_by("level"))
        self.lowest_tier = tiers[0] if tiers else None
        self.fields["tier"].choices = any_choice + [  # type: ignore[attr-defined]
            (str(t.pk), t.name) for t in tiers
        ]
        self.fields["tag"].choices = any_choice + [  # type: ignore[attr-defined]
            (str(t.pk), t.name) for t in Tag.objects.order_by("name")
        ]
        self.fields["channel"].choices = any_choice + list(Member.Channel.choices)  # type: ignore[attr-defined]

    def to_filters(self) -> MemberFilters:
        if not self.is_valid():
            return MemberFilters(query=str(self.data.get("q", ""))[:50])
        data = self.cleaned_data
        return MemberFilters(
            query=data["q"],
            store_id=data["store"],
            status=data["status"],
            tier_id=data["tier"],
            tier_is_lowest=(self.lowest_tier is not None and data["tier"] == self.lowest_tier.pk),
            tag_id=data["tag"],
            channel=data["channel"],
            joined_from=data["joined_from"],
            joined_to=data["joined_to"],
        )

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields)


# -------------------------------------------------------------------------- members

CUSTOM_PREFIX = "cf_"
BIRTH_FIELDS = ("birth_year", "birth_month", "birth_day")


def _custom_form_field(definition: CustomField) -> forms.Field:
    common: dict[str, Any] = {"label": definition.label, "required": definition.required}
    kind = definition.kind
    if kind == CustomField.Kind.NUMBER:
        return forms.IntegerField(**common)
    if kind == CustomField.Kind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == CustomField.Kind.BOOL:
        return forms.TypedChoiceField(
            choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))],
            coerce=lambda v: v == "true",
            empty_value=None,
            **common,
        )
    if kind == CustomField.Kind.CHOICE:
        return forms.ChoiceField(
            choices=[("", "—"), *[(c, c) for c in definition.choices]], **common
        )
    return forms.CharField(max_length=200, **common)


class MemberForm(forms.Form):
    """The archive form, for registering (``member is None``) and for editing."""

    name = forms.CharField(label=_("Name"), max_length=50)
    mobile = forms.CharField(label=_("Mobile"), max_length=20)
    gender = forms.ChoiceField(
        label=_("Gender"), choices=Member.Gender.choices, initial=Member.Gender.UNKNOWN
    )
    calendar = forms.ChoiceField(
        label=_("Birthday calendar"),
        choices=Member.Calendar.choices,
        initial=Member.Calendar.SOLAR,
        widget=forms.RadioSelect,
    )
    birth_year = forms.IntegerField(label=_("Year"), required=False, min_value=1900, max_value=2100)
    birth_month = forms.IntegerField(label=_("Month"), required=False, min_value=1, max_value=12)
    birth_day = forms.IntegerField(label=_("Day"), required=False, min_value=1, max_value=31)
    lunar_leap = forms.BooleanField(label=_("Leap month"), required=False)
    id_number = forms.CharField(label=_("ID number"), required=False, max_length=18)
    region = forms.CharField(label=_("Region"), required=False, max_length=100)
    address = forms.CharField(label=_("Address"), required=False, max_length=200)
    occupation = forms.CharField(label=_("Occupation"), required=False, max_length=50)
    preferences = forms.CharField(
        label=_("Lifestyle and preferences"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    tags = forms.MultipleChoiceField(label=_("Tags"), required=False)
    referrer_code = forms.CharField(label=_("Referrer's member number"), required=False)
    store = forms.TypedChoiceField(label=_("Joining store"), coerce=int, empty_value=None)
    consent = forms.BooleanField(
        label=_("The member has read and accepted the member charter"), required=True
    )

    def __init__(
        self,
        *args: Any,
        member: Member | None = None,
        pick_store: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.member = member
        self.fields["tags"].choices = [  # type: ignore[attr-defined]
            (t.name, t.name) for t in Tag.objects.order_by("name")
        ]
        self.custom_definitions = list(CustomField.objects.filter(is_active=True))
        for definition in self.custom_definitions:
            self.fields[CUSTOM_PREFIX + definition.key] = _custom_form_field(definition)
        if pick_store and member is None:
            self.fields["store"].choices = [("", "—"), *store_choices()]  # type: ignore[attr-defined]
        else:
            del self.fields["store"]
        if member is None and not self.is_bound:
            self.fields["name"].widget.attrs["autofocus"] = True  # the first thing asked
        if member is not None:
            del self.fields["consent"]
            del self.fields["referrer_code"]
            # Personal data is never shown in the form: blank keeps the stored value.
            self.fields["mobile"].required = False
            self.fields["mobile"].widget.attrs["placeholder"] = member.mobile_masked
            if member.id_number_masked:
                self.fields["id_number"].widget.attrs["placeholder"] = member.id_number_masked
            if member.address_enc:
                self.fields["address"].widget.attrs["placeholder"] = "****"
            self.initial.update(self._initial_from(member))

    @staticmethod
    def _initial_from(member: Member) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": member.name,
            "gender": member.gender,
            "region": member.region,
            "occupation": member.occupation,
            "preferences": member.preferences,
            "email": member.email,
            "tags": [t.name for t in member.tags.all()],
            "calendar": member.birthday_calendar,
        }
        if member.birthday is not None:
            if member.birthday_calendar == Member.Calendar.LUNAR:
                from huiyuan.core.china import solar_to_lunar

                year, month, day, leap = solar_to_lunar(member.birthday)
                initial.update(birth_year=year, birth_month=month, birth_day=day, lunar_leap=leap)
            else:
                initial.update(
                    birth_year=member.birthday.year,
                    birth_month=member.birthday.month,
                    birth_day=member.birthday.day,
                )
        for key, value in (member.custom_fields or {}).items():
            if isinstance(value, bool):
                value = "true" if value else "false"
            initial[CUSTOM_PREFIX + key] = value
        return initial

    @property
    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[CUSTOM_PREFIX + d.key] for d in self.custom_definitions]

    @property
    def birthday_errors(self) -> list[str]:
        return [str(e) for name in BIRTH_FIELDS for e in self.errors.get(name, [])]

    # Every field is checked at once, so one submit shows every mistake (the service checks
    # the same rules again under its transaction).
    duplicate_of: Member | None = None

    def clean_mobile(self) -> str:
        raw = self.cleaned_data.get("mobile", "")
        if not raw and self.member is not None:
            return raw  # blank on edit keeps the stored number
        try:
            mobile = normalize_mobile(raw)
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message)) from exc
        taken = Member.objects.filter(mobile_hash=pii.keyed_hash(mobile))
        if self.member is not None:
            taken = taken.exclude(pk=self.member.pk)
        self.duplicate_of = taken.first()
        if self.duplicate_of is not None:
            raise forms.ValidationError(_("This mobile number already belongs to a member."))
        return mobile

    def clean_id_number(self) -> str:
        raw = (self.cleaned_data.get("id_number") or "").strip()
        if not raw:
            return raw
        try:
            return normalize_id_number(raw)
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message)) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        parts = [data.get(name) for name in BIRTH_FIELDS]
        data["birthday"] = None
        data["lunar_birthday"] = None
        if any(p is not None for p in parts):
            if any(p is None for p in parts):
                self.add_error("birth_year", _("Enter year, month and day of the birthday."))
                return data
            year, month, day = (int(p) for p in parts)  # type: ignore[arg-type]
            if data.get("calendar") == Member.Calendar.LUNAR:
                if day > 30:
                    self.add_error("birth_day", _("A lunar month has at most 30 days."))
                    return data
                data["lunar_birthday"] = LunarDate(year, month, day, bool(data.get("lunar_leap")))
            else:
                try:
                    data["birthday"] = dt.date(year, month, day)
                except ValueError:
                    self.add_error("birth_day", _("This date does not exist."))
        return data

    def _custom_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for definition in self.custom_definitions:
            value = self.cleaned_data.get(CUSTOM_PREFIX + definition.key)
            if isinstance(value, dt.date):
                value = value.isoformat()
            values[definition.key] = "" if value is None else value
        return values

    def to_input(self) -> MemberInput:
        data = self.cleaned_data
        return MemberInput(
            name=data["name"],
            mobile=data["mobile"],
            gender=data["gender"],
            birthday=data["birthday"],
            lunar_birthday=data["lunar_birthday"],
            id_number=data["id_number"],
            region=data["region"],
            address=data["address"],
            occupation=data["occupation"],
            preferences=data["preferences"],
            email=data["email"],
            custom_fields={k: v for k, v in self._custom_values().items() if v != ""},
            tags=list(data["tags"]),
            referrer_code=data["referrer_code"].strip(),
            consent=bool(data["consent"]),
        )

    def to_changes(self) -> dict[str, Any]:
        """The archive fields for ``member_update``: blank personal data stays as stored."""
        data = self.cleaned_data
        changes: dict[str, Any] = {
            key: data[key]
            for key in ("name", "gender", "region", "occupation", "preferences", "email")
        }
        for key in ("mobile", "id_number", "address"):
            if data[key].strip():
                changes[key] = data[key]
        changes["birthday"] = data["birthday"]
        changes["lunar_birthday"] = data["lunar_birthday"]
        changes["tags"] = list(data["tags"])
        changes["custom_fields"] = self._custom_values()
        return changes

    @property
    def chosen_store_id(self) -> int | None:
        return self.cleaned_data.get("store") if "store" in self.fields else None


# Where a service's refusal belongs on the archive form.
SERVICE_FIELD_MAP = {"birthday": "birth_year", "store_id": "store", "custom_fields": None}


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal next to the field it concerns (or above the form)."""
    name = exc.field
    if name and name.startswith("custom_fields."):
        name = CUSTOM_PREFIX + name.split(".", 1)[1]
    elif name in SERVICE_FIELD_MAP:
        name = SERVICE_FIELD_MAP[name]
    if name not in form.fields:
        name = None
    form.add_error(name, str(exc.message))


# ------------------------------------------------------------------------ lifecycle


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=200, widget=forms.Textarea(attrs={"rows": 2})
    )


class FreezeForm(ReasonForm):
    earning = forms.BooleanField(label=_("Earning (points, bonus)"), required=False)
    spending = forms.BooleanField(label=_("Spending (balance, points, coupons)"), required=False)


class MergeForm(ReasonForm):
    duplicate_code = forms.CharField(label=_("Duplicate's member number"), max_length=20)
    confirm = forms.BooleanField(
        label=_("I have checked that both archives are the same person"), required=True
    )
