"""The columns of the staff, API-key and audit-log lists as Excel (``admin_views``).

Never a password, a password hash or an API key: staff mobiles are masked as on every
other export, an API key shows only its public prefix (``hy_<prefix>_…``), as the page does.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huiyuan.audit.models import AuditEvent
from huiyuan.audit.selectors import action_label, actor_display, subject_label
from huiyuan.core.permissions import ROLE_LABELS, Role
from huiyuan.core.pii import mask_mobile
from huiyuan.core.xlsx import Column
from huiyuan.stores.api_scopes import SCOPE_LABELS
from huiyuan.stores.models import ApiKey, Staff


def _role(value: str) -> str:
    try:
        return str(ROLE_LABELS[Role(value)])
    except ValueError:
        return value


def _stores(person: Staff) -> str:
    names = [store.name for store in person.stores.all()]
    return "、".join(names) if names else _("All stores")


def _scopes(key: ApiKey) -> str:
    labels = {s.value: label for s, label in SCOPE_LABELS.items()}
    return "、".join(str(labels.get(s, s)) for s in key.scopes)


STAFF_COLUMNS: tuple[Column[Staff], ...] = (
    Column(gettext_lazy("Name"), lambda p: p.display_name or p.username, width=16),
    Column(gettext_lazy("User name"), lambda p: p.username, width=16),
    Column(gettext_lazy("Mobile"), lambda p: mask_mobile(p.mobile) if p.mobile else ""),
    Column(gettext_lazy("Role"), lambda p: _role(p.role)),
    Column(gettext_lazy("Stores"), _stores, width=30),
    Column(gettext_lazy("Last login"), lambda p: p.last_login, "moment", 17),
    Column(gettext_lazy("Status"), lambda p: _("Enabled") if p.is_active else _("Disabled")),
)

API_KEY_COLUMNS: tuple[Column[ApiKey], ...] = (
    Column(gettext_lazy("API key"), lambda k: k.name, width=20),
    Column(gettext_lazy("Key prefix"), lambda k: f"hy_{k.prefix}_…", width=18),
    Column(gettext_lazy("Terminal"), lambda k: k.terminal.name, width=16),
    Column(gettext_lazy("Store"), lambda k: k.terminal.store.name, width=18),
    Column(gettext_lazy("Role"), lambda k: _role(k.role)),
    Column(gettext_lazy("Scopes"), _scopes, width=40),
    Column(gettext_lazy("Requests per minute"), lambda k: k.rate_limit_per_minute, "number"),
    Column(gettext_lazy("Created"), lambda k: k.created_at, "moment", 17),
    Column(gettext_lazy("Last used"), lambda k: k.last_used_at, "moment", 17),
    Column(gettext_lazy("Status"), lambda k: _("Active") if k.is_active else _("Revoked")),
)


def _audit_store(event: AuditEvent) -> str:
    return event.store.name if event.store is not None else _("Head office")


# The audit rows carry ``member_code`` (annotated by the view): the member's number.
AUDIT_COLUMNS: tuple[Column[AuditEvent], ...] = (
    Column(gettext_lazy("Time"), lambda e: e.created_at, "moment", 18),
    Column(gettext_lazy("Member number"), lambda e: getattr(e, "member_code", None), width=14),
    Column(gettext_lazy("Actor"), lambda e: actor_display(e.actor_label), width=16),
    Column(gettext_lazy("Store"), _audit_store, width=16),
    Column(gettext_lazy("Action"), lambda e: action_label(e.action, e.subject_type), width=24),
    Column(
        gettext_lazy("Subject"),
        lambda e: f"{subject_label(e.subject_type)} #{e.subject_id}",
        width=20,
    ),
)
