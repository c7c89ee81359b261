"""Write audit events. Call inside the transaction of the change being recorded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.core.permissions import Actor


def _event(
    *,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: object,
    member_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    note: str,
    store_id: int | None,
) -> AuditEvent:
    return AuditEvent(
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
    event = _event(
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        member_id=member_id,
        before=before,
        after=after,
        note=note,
        store_id=store_id,
    )
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class AuditSubject:
    """One subject of ``audit_record_many``: what ``audit_record`` takes per change."""

    subject_id: object
    member_id: int | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    note: str = ""
    store_id: int | None = None


def audit_record_many(
    *, actor: Actor, action: str, subject_type: str, subjects: Sequence[AuditSubject]
) -> list[AuditEvent]:
    """Record the same action on many subjects in one insert (a batch job's chunk): the rows
    ``audit_record`` would write one by one. Refuses to run outside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record_many() must run inside the change's transaction")
    return AuditEvent.objects.bulk_create(
        [
            _event(
                actor=actor,
                action=action,
                subject_type=subject_type,
                subject_id=s.subject_id,
                member_id=s.member_id,
                before=s.before,
                after=s.after,
                note=s.note,
                store_id=s.store_id,
            )
            for s in subjects
        ]
    )


# Keys of before/after snapshots that hold a person's data (PIPL): what a deleted member's
# audit events lose. Apps that record other personal keys add them here.
PERSONAL_KEYS: set[str] = {
    "name",
    "name_pinyin",
    "mobile",
    "mobile_masked",
    "id_number",
    "birthday",
    "lunar_birthday",
    "region",
    "address",
    "occupation",
    "preferences",
    "email",
    "custom_fields",
    "tags",
    "gender",
    "holder_name",
    "holder_mobile",
}
ERASED = "已删除"


def _erased(snapshot: Any) -> tuple[Any, bool]:
    if not isinstance(snapshot, dict):
        return snapshot, False
    cleaned = {
        k: (ERASED if k in PERSONAL_KEYS and v not in (None, "", [], {}) else v)
        for k, v in snapshot.items()
    }
    return cleaned, cleaned != snapshot


def audit_anonymise_member(*, member_id: int) -> int:
    """Erase the personal fields of a deleted member's audit events; keep who did what when,
    and amounts. Runs inside the deletion's transaction; answers how many events changed."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_anonymise_member() must run inside the deletion's transaction")
    changed = []
    events = AuditEvent.objects.select_for_update().filter(member_id=member_id)
    for event in events:
        before, b_changed = _erased(event.before)
        after, a_changed = _erased(event.after)
        if b_changed or a_changed:
            event.before, event.after = before, after
            changed.append(event)
    AuditEvent.objects.bulk_update(changed, ["before", "after"])
    return len(changed)
