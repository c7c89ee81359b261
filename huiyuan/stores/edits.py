"""Editing what was created: a store, a terminal, a staff member (O1, O2).

The same checks as creating, plus the store scope: a store-scoped actor edits only terminals
and staff of its own stores, and gives staff only its own stores. Codes and user names stay
(receipts, POS configurations and sign-ins refer to them). Every edit writes one audit row
with what changed, before and after; an edit that changes nothing writes nothing; a refusal
changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, Role, require
from huiyuan.core.pii import mask_mobile
from huiyuan.stores.models import Staff, Store, Terminal
from huiyuan.stores.services import staff_require_grantable, staff_require_manageable


def _changes(obj: object, wanted: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    before = {k: getattr(obj, k) for k, v in wanted.items() if getattr(obj, k) != v}
    return before, {k: wanted[k] for k in before}


def store_update(
    *, actor: Actor, store_id: int, name: str, address: str = "", phone: str = ""
) -> Store:
    """Rename a store or change its address and phone (owner, head office)."""
    require(actor, Perm.STORE_MANAGE)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Enter a store code and name."), code="store_fields_required", field="name"
        )
    wanted = {"name": name, "address": (address or "").strip(), "phone": (phone or "").strip()}
    with transaction.atomic():
        store = Store.objects.select_for_update().filter(pk=store_id).first()
        if store is None:
            raise NotFound(_("Unknown store."), code="unknown_store")
        before, after = _changes(store, wanted)
        if not before:
            return store
        for field, value in after.items():
            setattr(store, field, value)
        store.save(update_fields=list(after))
        audit_record(
            actor=actor,
            action="store.updated",
            subject_type="store",
            subject_id=store.pk,
            before=before,
            after=after,
            store_id=store.pk,
        )
    return store


def terminal_update(*, actor: Actor, terminal_id: int, name: str) -> Terminal:
    """Rename a terminal; a store manager only at their own stores."""
    require(actor, Perm.APIKEY_MANAGE)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Enter a terminal code and name."), code="terminal_fields_required", field="name"
        )
    with transaction.atomic():
        terminal = Terminal.objects.select_for_update().filter(pk=terminal_id).first()
        if terminal is None:
            raise NotFound(_("Unknown terminal."), code="unknown_terminal")
        require(actor, Perm.APIKEY_MANAGE, store_id=terminal.store_id, check_store=True)
        before, after = _changes(terminal, {"name": name})
        if not before:
            return terminal
        terminal.name = name
        terminal.save(update_fields=["name"])
        audit_record(
            actor=actor,
            action="terminal.updated",
            subject_type="terminal",
            subject_id=terminal.pk,
            before=before,
            after=after,
            store_id=terminal.store_id,
        )
    return terminal


def staff_update(
    *,
    actor: Actor,
    staff_id: int,
    display_name: str,
    role: str,
    store_ids: list[int],
    mobile: str = "",
) -> Staff:
    """Change a staff member's name, mobile, role and stores (not their user name or
    password). Only an owner gives or takes the owner role; nobody changes their own role;
    a store-scoped actor edits only staff of its stores alone, of a role within its own, and
    gives only such roles and its stores (``huiyuan.stores.services.staff_require_*``)."""
    require(actor, Perm.STAFF_MANAGE)
    if role not in {r.value for r in Role}:
        raise ValidationFailed(_("Unknown role."), code="invalid_role", field="role")
    display_name = (display_name or "").strip()
    if not display_name:
        raise ValidationFailed(_("Enter a name."), code="name_required", field="display_name")
    stores = list(Store.objects.filter(pk__in=store_ids).order_by("pk"))
    if len(stores) != len(set(store_ids)):
        raise NotFound(_("Unknown store."), code="unknown_store", field="store_ids")
    if Role(role) in (Role.STORE_MANAGER, Role.CASHIER) and not stores:
        raise ValidationFailed(
            _("A store manager or cashier needs at least one store."),
            code="store_required",
            field="store_ids",
        )
    with transaction.atomic():
        staff = Staff.objects.select_for_update().filter(pk=staff_id).first()
        if staff is None:
            raise NotFound(_("Unknown staff member."), code="unknown_staff")
        held = sorted(staff.stores.values_list("pk", flat=True))
        staff_require_manageable(actor, staff)  # whom: then what may be given them
        staff_require_grantable(actor, role, store_ids)
        if actor.staff is not None and staff.pk == actor.staff.pk and staff.role != role:
            raise ValidationFailed(
                _("You cannot change your own role."), code="cannot_change_own_role", field="role"
            )
        wanted = {"display_name": display_name, "mobile": (mobile or "").strip(), "role": role}
        before, after = _changes(staff, wanted)
        if "mobile" in before:  # the audit shows a staff mobile masked, like any mobile
            before["mobile"] = mask_mobile(before["mobile"])
            after["mobile"] = mask_mobile(after["mobile"])
        new_ids = sorted(s.pk for s in stores)
        if new_ids != held:
            before["stores"], after["stores"] = held, new_ids
        if not before:
            return staff
        for field in ("display_name", "mobile", "role"):
            setattr(staff, field, wanted[field])
        if staff.default_store_id not in new_ids:
            staff.default_store = stores[0] if stores else None
        staff.save(update_fields=["display_name", "mobile", "role", "default_store"])
        staff.stores.set(stores)
        audit_record(
            actor=actor,
            action="staff.updated",
            subject_type="staff",
            subject_id=staff.pk,
            before=before,
            after=after,
        )
    return staff
