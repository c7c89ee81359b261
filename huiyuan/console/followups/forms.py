"""Forms of the follow-up pages: they parse what staff type; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from huiyuan.console.admin_forms import TablerForm
from huiyuan.followups.models import Attempt, Followup
from huiyuan.stores.models import Staff, Store

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def staff_choices(store_ids: frozenset[int] | None) -> list[tuple[str, str | Promise]]:
    """Active staff who may hold a task in these stores (chain-wide roles always)."""
    from huiyuan.core.permissions import CHAIN_WIDE_ROLES, ROLE_PERMS, Perm, Role

    rows = Staff.objects.filter(is_active=True).prefetch_related("stores").order_by("username")
    out: list[tuple[str, str | Promise]] = [("", _("Nobody (the queue)"))]
    for s in rows:
        role = Role(s.role)
        if Perm.FOLLOWUP_WORK not in ROLE_PERMS[role]:
            continue
        if role not in CHAIN_WIDE_ROLES and store_ids is not None:
            if not {st.pk for st in s.stores.all()} & store_ids:
                continue
        out.append((str(s.pk), str(s)))
    return out


class FilterForm(TablerForm):
    store = forms.ModelChoiceField(
        label=_("Store"), queryset=Store.objects.none(), required=False, empty_label=_("All stores")
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("open", _("Open or overdue")), *Followup.Status.choices],
    )
    reason = forms.ChoiceField(
        label=_("Reason"), required=False, choices=[("", _("All")), *Followup.Reason.choices]
    )

    def __init__(self, *args: Any, stores: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores if stores is not None else Store.objects.all()  # type: ignore[attr-defined]


class FollowupForm(TablerForm):
    member_code = forms.CharField(label=_("Member number"), max_length=20)
    due_date = forms.DateField(label=_("Due date"), widget=DATE)
    store = forms.ModelChoiceField(
        label=_("Store"),
        queryset=Store.objects.none(),
        required=False,
        empty_label=_("The member's joining store"),
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False, choices=[])
    note = forms.CharField(
        label=_("What to talk about"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, stores: Any = None, assignees: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores  # type: ignore[attr-defined]
        self.fields["assignee"].choices = assignees  # type: ignore[attr-defined]


class AttemptForm(TablerForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Attempt.Outcome.choices)
    next_due_date = forms.DateField(
        label=_("Call back on"), required=False, widget=DATE, help_text=_("For “call back later”.")
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class AssignForm(TablerForm):
    assignee = forms.ChoiceField(label=_("Assignee"), required=False, choices=[])

    def __init__(self, *args: Any, assignees: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = assignees  # type: ignore[attr-defined]


class CancelForm(TablerForm):
    reason = forms.CharField(label=_("Why cancel"), max_length=200)


class PolicyForm(TablerForm):
    first_purchase_enabled = forms.BooleanField(
        label=_("Call after a member's first purchase"), required=False
    )
    first_purchase_days = forms.IntegerField(
        label=_("Days to call after a first purchase"), min_value=0, max_value=60
    )
    complaint_days = forms.IntegerField(
        label=_("Days to call after a complaint"), min_value=0, max_value=30
    )
    lapse_enabled = forms.BooleanField(label=_("Call lapsed members"), required=False)
    lapse_days = forms.IntegerField(
        label=_("Days without a purchase that make a lapse"), min_value=7, max_value=730
    )
    lapse_task_days = forms.IntegerField(
        label=_("Days to call after a lapse is found"), min_value=0, max_value=60
    )
