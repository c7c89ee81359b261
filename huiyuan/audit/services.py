"""Write audit events. Call inside the transaction of the change being recorded."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.core.permissions import Actor


def audit_record(
    *,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: object,
    member_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
    store_id: int | None = None,
) -> AuditEvent:
    """Record one change. Refuses to run outside a transaction, so it commits with it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record() must run inside the change's transaction")
    return AuditEvent.objects.create(
        created_at=timezone.now(),
        actor=actor.staff,
        actor_label=actor.label,
        terminal=actor.terminal,
        store_id=store_id if store_id is not None else actor.store_id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        member_id=member_id,
        before=before,
        after=after,
        note=note[:500],
    )
