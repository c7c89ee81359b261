"""Editing a store, a terminal or a staff member (and giving them a new password): the form
filled with what it is now.

Each view checks the permission and the store scope itself, lets a form parse the input and
calls one service (``huiyuan.stores.edits``); a refusal is shown on the form, nothing written.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huiyuan.console.admin_forms import (
    StaffForm,
    StaffPasswordForm,
    StoreForm,
    TablerForm,
    add_domain_error,
    staff_fields,
    staff_form_save,
)
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.core.errors import DomainError, NotFound
from huiyuan.core.permissions import Actor, Perm
from huiyuan.stores import edits
from huiyuan.stores import selectors as store_selectors
from huiyuan.stores import services as store_services
from huiyuan.stores.models import Staff
from huiyuan.stores.services import staff_require_manageable


class StoreEditForm(StoreForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["code"]


class TerminalEditForm(TablerForm):
    name = forms.CharField(label=gettext_lazy("Terminal name"), max_length=100)


class StaffEditForm(StaffForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["username"]
        del self.fields["password"]


def _edit_page(
    request: HttpRequest,
    *,
    title: str,
    subtitle: str,
    form: forms.Form,
    back: str,
    back_arg: int | None = None,
) -> HttpResponse:
    return render(
        request,
        "console/admin/edit.html",
        {"title": title, "subtitle": subtitle, "form": form, "back": back, "back_arg": back_arg},
    )


def _refused(form: forms.Form, exc: DomainError, aliases: dict[str, str] | None = None) -> None:
    refuse_if_forbidden(exc)
    add_domain_error(form, exc, aliases=aliases)


@login_required
def store_edit(request: HttpRequest, store_id: int) -> HttpResponse:
    actor = acting_staff(request, Perm.STORE_MANAGE)
    try:
        store = store_selectors.store_get(actor=actor, store_id=store_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    initial = {"name": store.name, "address": store.address, "phone": store.phone}
    form = StoreEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = edits.store_update(actor=actor, store_id=store.pk, **form.cleaned_data)
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Store %(name)s saved.") % {"name": saved.name})
            return redirect("console:stores")
    return _edit_page(
        request,
        title=_("Edit store %(name)s") % {"name": store.name},
        subtitle=store.code,
        form=form,
        back="console:stores",
    )


@login_required
def terminal_edit(request: HttpRequest, terminal_id: int) -> HttpResponse:
    actor = acting_staff(request, Perm.APIKEY_MANAGE)
    # Terminals of the actor's stores only: another store's terminal does not exist here.
    terminal = store_selectors.terminal_list(actor=actor).filter(pk=terminal_id).first()
    if terminal is None:
        raise Http404(_("Unknown terminal."))
    form = TerminalEditForm(request.POST or None, initial={"name": terminal.name})
    if request.method == "POST" and form.is_valid():
        try:
            saved = edits.terminal_update(
                actor=actor, terminal_id=terminal.pk, name=form.cleaned_data["name"]
            )
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Terminal %(name)s saved.") % {"name": saved.name})
            return redirect("console:store_detail", store_id=terminal.store_id)
    return _edit_page(
        request,
        title=_("Edit terminal %(name)s") % {"name": terminal.name},
        subtitle=f"{terminal.code} · {terminal.store.name}",
        form=form,
        back="console:store_detail",
        back_arg=terminal.store_id,
    )


def _staff_in_scope(actor: Actor, staff_id: int) -> Staff:
    """A staff member the actor manages: 404 outside its stores, 403 for someone it sees
    but may not manage (an owner for head office, a higher role or another store's too for
    a store manager), with the reason."""
    staff = store_selectors.staff_list(actor=actor).filter(pk=staff_id).first()
    if staff is None:
        raise Http404(_("Unknown staff member."))
    try:
        staff_require_manageable(actor, staff)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        refuse_if_forbidden(exc)
        raise
    return staff


@login_required
def staff_edit(request: HttpRequest, staff_id: int) -> HttpResponse:
    actor = acting_staff(request, Perm.STAFF_MANAGE)
    person = _staff_in_scope(actor, staff_id)
    initial = {
        "display_name": person.display_name,
        "mobile": person.mobile,
        "role": person.role,
        "stores": [s.pk for s in person.stores.all()],
    }
    form = StaffEditForm(
        request.POST or None,
        initial=initial,
        actor=actor,
        stores=store_selectors.store_choices(actor=actor),
    )
    if request.method == "POST" and form.is_valid():
        saved = staff_form_save(
            form,
            lambda data: edits.staff_update(actor=actor, staff_id=person.pk, **staff_fields(data)),
        )
        if saved is not None:
            messages.success(
                request, _("Staff member %(name)s saved.") % {"name": saved.display_name}
            )
            return redirect("console:staff")
    return _edit_page(
        request,
        title=_("Edit staff member %(name)s") % {"name": person.display_name or person.username},
        subtitle=person.username,
        form=form,
        back="console:staff",
    )


@login_required
def staff_password(request: HttpRequest, staff_id: int) -> HttpResponse:
    """A new password for a staff member who forgot theirs (by someone who manages them)."""
    actor = acting_staff(request, Perm.STAFF_MANAGE)
    person = _staff_in_scope(actor, staff_id)
    if actor.staff is not None and person.pk == actor.staff.pk:
        return redirect("console:password_change")
    form = StaffPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = staff_form_save(
            form,
            lambda data: store_services.staff_password_reset(
                actor=actor, staff_id=person.pk, new_password=data["new_password"]
            ),
        )
        if saved is not None:
            messages.success(
                request,
                _("%(name)s has a new password; the sessions signed in with the old one ended.")
                % {"name": saved.display_name or saved.username},
            )
            return redirect("console:staff")
    return _edit_page(
        request,
        title=_("New password for %(name)s") % {"name": person.display_name or person.username},
        subtitle=person.username,
        form=form,
        back="console:staff",
    )
