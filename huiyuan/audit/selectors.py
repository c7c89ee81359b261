"""Reads of the audit log (O3): the filtered, store-scoped list and readable labels."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.models import AuditEvent
from huiyuan.core.permissions import ROLE_LABELS, Actor, Perm, require

# What each recorded action means, for people. Apps that add actions add their labels
# here (or through ``register_action_labels``) so the log never shows a bare code.
ACTION_LABELS: dict[str, str | Promise] = {
    "store.created": _("Store created"),
    "terminal.created": _("Terminal created"),
    "staff.created": _("Staff member created"),
    "staff.enabled": _("Staff member enabled"),
    "staff.disabled": _("Staff member disabled"),
    "staff.logged_in": _("Staff login"),
    "staff.password_changed": _("Password changed"),
    "staff.locked_out": _("Account locked after failed logins"),
    "staff.unlocked": _("Account unlocked"),
    "staff.second_factor_enrolled": _("Two-factor sign-in set up"),
    "staff.second_factor_reset": _("Two-factor sign-in reset"),
    "staff.backup_codes_renewed": _("Backup codes renewed"),
    "api_key.created": _("API key created"),
    "api_key.revoked": _("API key revoked"),
    "api_key.updated": _("API key scopes or limit changed"),
    "tag.created": _("Tag created"),
    "custom_field.created": _("Custom field created"),
    "custom_field.enabled": _("Custom field enabled"),
    "custom_field.disabled": _("Custom field disabled"),
    "member.registered": _("Member registered"),
    "member.updated": _("Member archive edited"),
    "member.frozen": _("Member frozen"),
    "member.unfrozen": _("Member unfrozen"),
    "member.cancelled": _("Membership cancelled"),
    "member.restored": _("Membership restored"),
    "member.terminated": _("Membership terminated"),
    "member.merged": _("Members merged"),
    "member.merged_away": _("Archive merged into another"),
    "member.pii_viewed": _("Personal data viewed"),
    "card_type.created": _("Card type created"),
    "card.issued": _("Card issued"),
    "card.reported_lost": _("Card reported lost"),
    "card.found": _("Lost card found"),
    "card.reissued": _("Card reissued"),
    "card.renewed": _("Card renewed"),
    "card.cancelled": _("Card cancelled"),
    "card.holder_added": _("Card holder added"),
    "recharge_package.created": _("Recharge package created"),
    "wallet_policy.updated": _("Wallet policy changed"),
    "wallet.recharged": _("Wallet recharged"),
    "wallet.refunded": _("Wallet refunded"),
    "sale.completed": _("Sale completed"),
    "sale.reversed": _("Sale reversed"),
    "earn_rule.published": _("Points rule published"),
    "points.adjusted": _("Points adjusted"),
    "points.supplemented": _("Points added for a past sale"),
    "tier.created": _("Tier created"),
    "tier.initial": _("Initial tier assigned"),
    "tier.upgrade": _("Tier upgraded"),
    "tier.downgrade": _("Tier downgraded"),
    "tier.manual": _("Tier changed by hand"),
}

SUBJECT_LABELS: dict[str, str | Promise] = {
    "store": _("Store"),
    "terminal": _("Terminal"),
    "staff": _("Staff member"),
    "api_key": _("API key"),
    "tag": _("Tag"),
    "custom_field": _("Custom field"),
    "member": _("Member"),
    "card": _("Card"),
    "card_type": _("Card type"),
    "recharge_package": _("Recharge package"),
    "wallet_policy": _("Wallet policy"),
    "sale": _("Sale"),
    "earn_rule": _("Points rule"),
    "tier": _("Tier"),
}

# Keys of the before/after snapshots, as people read them.
FIELD_LABELS: dict[str, str | Promise] = {
    "code": _("Code"),
    "failures": _("Failed logins"),
    "second_factor": _("Second factor"),
    "name": _("Name"),
    "username": _("User name"),
    "role": _("Role"),
    "stores": _("Stores"),
    "terminal": _("Terminal"),
    "prefix": _("Key prefix"),
    "is_active": _("In use"),
    "key": _("Key"),
    "label": _("Label"),
    "kind": _("Kind"),
    "mobile": _("Mobile"),
    "gender": _("Gender"),
    "birthday": _("Birthday"),
    "birthday_calendar": _("Birthday calendar"),
    "id_number": _("ID number"),
    "region": _("Region"),
    "address": _("Address"),
    "occupation": _("Occupation"),
    "preferences": _("Preferences"),
    "email": _("E-mail"),
    "custom_fields": _("Custom fields"),
    "tags": _("Tags"),
    "status": _("Status"),
    "earn_frozen": _("Earning frozen"),
    "spend_frozen": _("Spending frozen"),
    "home_store_id": _("Joining store"),
    "tier": _("Tier"),
}


def register_action_labels(labels: dict[str, str | Promise]) -> None:
    """Let a later app name the actions it records."""
    ACTION_LABELS.update(labels)


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def subject_label(subject_type: str) -> str:
    label = SUBJECT_LABELS.get(subject_type)
    return str(label) if label is not None else subject_type


def action_choices() -> list[tuple[str, str]]:
    """(action, label) for a filter's select, sorted by code so related actions group."""
    return [(code, action_label(code)) for code in sorted(ACTION_LABELS)]


@dataclass(frozen=True)
class AuditFilters:
    member_ids: tuple[int, ...] | None = None
    staff_id: int | None = None
    store_id: int | None = None
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def audit_event_list(*, actor: Actor, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Events matching ``filters``, newest first, limited to the actor's stores.

    A store-scoped actor sees only events recorded at one of its stores; chain-level
    events (no store) are visible to chain-wide roles only.
    """
    require(actor, Perm.AUDIT_VIEW)
    qs = AuditEvent.objects.select_related("actor", "store", "terminal", "terminal__store")
    if actor.store_ids is not None:
        qs = qs.filter(store_id__in=actor.store_ids)
    if filters.member_ids is not None:
        qs = qs.filter(member_id__in=filters.member_ids)
    if filters.staff_id is not None:
        qs = qs.filter(actor_id=filters.staff_id)
    if filters.store_id is not None:
        qs = qs.filter(store_id=filters.store_id)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.date_from is not None:
        qs = qs.filter(created_at__gte=_start_of(filters.date_from))
    if filters.date_to is not None:
        qs = qs.filter(created_at__lt=_start_of(filters.date_to + dt.timedelta(days=1)))
    return qs.order_by("-created_at", "-id")


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the current time zone (an index-friendly bound)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# How enumerated values of a snapshot read, per key (member status, gender…).
VALUE_LABELS: dict[str, dict[str, str | Promise]] = {
    "gender": {"M": _("Male"), "F": _("Female"), "U": _("Unknown")},
    "birthday_calendar": {"solar": _("Solar"), "lunar": _("Lunar")},
    "status": {
        "active": _("Active"),
        "cancelled": _("Cancelled"),
        "terminated": _("Terminated"),
        "merged": _("Merged"),
    },
    "kind": {
        "text": _("Text"),
        "number": _("Whole number"),
        "date": _("Date"),
        "choice": _("Choice"),
        "bool": _("Yes / no"),
    },
    "role": {role.value: label for role, label in ROLE_LABELS.items()},
    "second_factor": {"totp": _("Authenticator app"), "backup_code": _("Backup code")},
}

# Snapshot keys whose value is a store's id, shown as the store's name.
STORE_KEYS = frozenset({"home_store_id", "store_id"})


def register_value_labels(key: str, labels: dict[str, str | Promise]) -> None:
    """Let a later app name the values of a snapshot key it records."""
    VALUE_LABELS.setdefault(key, {}).update(labels)


@dataclass(frozen=True)
class DiffRow:
    key: str
    label: str
    before: str
    after: str
    changed: bool


def _show(key: str, value: Any, store_names: Mapping[int, str]) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, str) and value in VALUE_LABELS.get(key, {}):
        return str(VALUE_LABELS[key][value])
    if key in STORE_KEYS and isinstance(value, int) and value in store_names:
        return store_names[value]
    if key == "stores" and isinstance(value, list):
        return ", ".join(store_names.get(v, str(v)) for v in value)
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_show('', v, store_names)}" for k, v in value.items())
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def audit_diff(event: AuditEvent, *, store_names: Mapping[int, str] | None = None) -> list[DiffRow]:
    """The before→after snapshot of ``event`` as readable rows, in a stable order.

    A key present only after the change (a creation) is left out when it is empty.
    ``store_names`` turns store ids into names.
    """
    names = store_names or {}
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    keys = list(before) + [k for k in after if k not in before]
    rows = []
    for key in keys:
        old, new = _show(key, before.get(key), names), _show(key, after.get(key), names)
        if key not in before and not new:
            continue
        label = FIELD_LABELS.get(key)
        rows.append(
            DiffRow(
                key=key,
                label=str(label) if label is not None else key,
                before=old,
                after=new,
                changed=key in before and before.get(key) != after.get(key),
            )
        )
    return rows
