"""Points given by hand to a chosen group (定向发放积分), as a background job.

The group is a saved segment (``huiyuan.segments``: evaluated when the batch starts, within
the actor's stores) or a list of member numbers. Starting writes the batch and one line
per member (unique per batch and member, so nobody gets it twice); the worker then gives
each line in its own short transaction under the member's card lock, and a rerun
continues where it stopped. A member without a usable card, inactive or with earning
frozen is skipped with the reason.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.activities.models import GrantBatch, GrantLine
from huiyuan.activities.services.rewards import member_card, points_credit
from huiyuan.audit.services import audit_record
from huiyuan.cards.locks import card_lock
from huiyuan.core.errors import NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.retry import atomic_retry
from huiyuan.members.models import Member

MAX_MEMBERS = 200_000
MAX_POINTS = 100_000


def _group(actor: Actor, segment_id: int | None, member_codes: list[str]) -> list[int]:
    if segment_id is not None:
        from huiyuan.segments.models import Segment
        from huiyuan.segments.selectors import segment_member_ids

        segment = Segment.objects.filter(pk=segment_id).first()
        if segment is None:
            raise NotFound(_("Segment not found."), code="segment_not_found")
        return list(segment_member_ids(segment, actor=actor).order_by("pk")[: MAX_MEMBERS + 1])
    codes = sorted({c.strip() for c in member_codes if c and c.strip()})
    if not codes:
        raise ValidationFailed(
            _("Choose a segment or give member numbers."),
            code="group_required",
            field="member_codes",
        )
    found = dict(Member.objects.filter(code__in=codes).values_list("code", "pk"))
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationFailed(
            _("Unknown member numbers: %(codes)s") % {"codes": ", ".join(missing[:10])},
            code="unknown_members",
            field="member_codes",
            details={"codes": missing[:100]},
        )
    members = Member.objects.filter(pk__in=found.values())
    if actor.store_ids is not None:
        members = members.filter(home_store_id__in=actor.store_ids)
    return sorted(members.values_list("pk", flat=True))


def grant_batch_start(
    *,
    actor: Actor,
    points: int,
    reason: str,
    segment_id: int | None = None,
    member_codes: list[str] | None = None,
    enqueue: bool = True,
) -> GrantBatch:
    """Record the batch and its lines, then hand it to the worker."""
    require(actor, Perm.ACTIVITY_MANAGE)
    require(actor, Perm.POINTS_ADJUST)
    if not isinstance(points, int) or isinstance(points, bool) or not 1 <= points <= MAX_POINTS:
        raise ValidationFailed(
            _("Give the points, from 1 to 100000."), code="invalid_points", field="points"
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason."), code="reason_required", field="reason")
    member_ids = _group(actor, segment_id, member_codes or [])
    if not member_ids:
        raise ValidationFailed(_("No member is in this group."), code="group_empty")
    if len(member_ids) > MAX_MEMBERS:
        raise ValidationFailed(_("The group is too large."), code="group_too_large")
    with transaction.atomic():
        batch = GrantBatch.objects.create(
            reason=reason[:200],
            points=points,
            segment_id=segment_id,
            total=len(member_ids),
            store_id=actor.store_id,
            created_by=actor.staff,
            created_at=timezone.now(),
        )
        GrantLine.objects.bulk_create(
            [GrantLine(batch=batch, member_id=m) for m in member_ids], batch_size=2000
        )
        audit_record(
            actor=actor,
            action="points_grant.started",
            subject_type="points_grant",
            subject_id=batch.pk,
            after={"points": points, "total": batch.total, "segment_id": segment_id},
            note=reason,
        )
        if enqueue:
            transaction.on_commit(lambda: _enqueue(batch.pk))
    return batch


def _enqueue(batch_id: int) -> None:
    from huiyuan.activities.tasks import run_grant_batch

    run_grant_batch.enqueue(batch_id)


def _give_line(actor: Actor, batch: GrantBatch, line_id: int) -> None:
    def perform() -> None:
        now = timezone.now()
        peek = GrantLine.objects.get(pk=line_id)
        card = member_card(peek.member_id)
        lock = card_lock(card.pk, touch=now) if card is not None else None
        line = GrantLine.objects.select_for_update().get(pk=line_id)
        if line.status != GrantLine.Status.PENDING:
            return
        member = lock.member if lock is not None else None
        why = ""
        if lock is None or member is None:
            why = "no_card"
        elif member.status != Member.Status.ACTIVE:
            why = "member_not_active"
        elif member.earn_frozen:
            why = "member_earn_frozen"
        if why or lock is None:
            line.status, line.reason_code = GrantLine.Status.SKIPPED, why
            line.save(update_fields=["status", "reason_code"])
            GrantBatch.objects.filter(pk=batch.pk).update(skipped=batch.skipped + 1)
            batch.skipped += 1
            return
        line.operation_id = points_credit(
            actor=actor,
            lock=lock,
            points=batch.points,
            kind="points_grant",
            store_id=batch.store_id if batch.store_id is not None else lock.card.store_id,
            now=now,
            details={"grant_batch_id": batch.pk},
        )
        line.status = GrantLine.Status.GIVEN
        line.save(update_fields=["status", "operation_id"])
        batch.given += 1
        GrantBatch.objects.filter(pk=batch.pk).update(given=batch.given)
        audit_record(
            actor=actor,
            action="points_grant.given",
            subject_type="points_grant",
            subject_id=batch.pk,
            member_id=line.member_id,
            after={"points": batch.points},
        )

    atomic_retry(perform)


def grant_batch_run(*, actor: Actor, batch_id: int) -> GrantBatch:
    """Give every pending line of the batch (resumable)."""
    batch = GrantBatch.objects.get(pk=batch_id)
    batch.given = batch.lines.filter(status=GrantLine.Status.GIVEN).count()
    batch.skipped = batch.lines.filter(status=GrantLine.Status.SKIPPED).count()
    for line_id in (
        batch.lines.filter(status=GrantLine.Status.PENDING)
        .order_by("id")
        .values_list("id", flat=True)
    ):
        _give_line(actor, batch, line_id)
    GrantBatch.objects.filter(pk=batch.pk).update(
        status=GrantBatch.Status.DONE, finished_at=timezone.now()
    )
    batch.refresh_from_db()
    return batch
