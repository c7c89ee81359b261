"""An export that carries members' full mobiles and ID numbers: allowed to the roles that
may see personal data, and recorded in the audit log (who, how many, with which filter)."""

from __future__ import annotations

from django.db import transaction

from huiyuan.audit.services import audit_record
from huiyuan.core.permissions import Actor, Perm, require

MAX_FILTER_NOTE = 300


def member_export_reveal(*, actor: Actor, count: int, filters: str) -> None:
    """Record that ``actor`` exported ``count`` members unmasked; refuse without the right."""
    require(actor, Perm.MEMBER_VIEW_PII)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="member.export_revealed",
            subject_type="member_export",
            subject_id=count,
            after={"members": count},
            note=filters[:MAX_FILTER_NOTE],
            store_id=actor.store_id,
        )
