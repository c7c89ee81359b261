"""Sending a survey to members: a saved segment or everyone in the sender's stores.

Each member is invited once per survey (``Invitation`` unique on survey and member); a
second distribution to an overlapping group invites only the members not invited yet. The
invitation shows in the member's portal; with ``sms`` the link (a signed token per member)
is queued as a marketing SMS through the care app (``huiyuan/surveys/messaging.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import Conflict, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.members.models import Member
from huiyuan.stores.scope import stores_in_view
from huiyuan.surveys.messaging import survey_links_send
from huiyuan.surveys.models import Distribution, Invitation, Survey
from huiyuan.surveys.services.builder import survey_locked
from huiyuan.surveys.tokens import token_make

CHUNK = 1000


def sms_ready() -> bool:
    """Whether an SMS channel is configured in the care app (``HUIYUAN_CARE_CHANNELS``)."""
    from huiyuan.care.channels import ChannelNotConfigured, channel_backend_path
    from huiyuan.care.models import ChannelKind

    try:
        channel_backend_path(ChannelKind.SMS)
    except ChannelNotConfigured:
        return False
    return True


def _members(actor: Actor, target: str, segment_id: int | None) -> Iterable[int]:
    if target == Distribution.Target.SEGMENT:
        if segment_id is None:
            raise ValidationFailed(
                _("Choose a segment."), code="segment_required", field="segment_id"
            )
        from huiyuan.segments.selectors import segment_get, segment_members

        segment = segment_get(actor=actor, segment_id=segment_id)
        rows = segment_members(segment, actor=actor).filter(status=Member.Status.ACTIVE)
    elif target == Distribution.Target.EVERYONE:
        rows = Member.objects.filter(status=Member.Status.ACTIVE)
        stores = stores_in_view(actor)
        if stores is not None:
            rows = rows.filter(home_store_id__in=stores)
    else:
        raise ValidationFailed(_("Choose who receives it."), code="invalid_target", field="target")
    return rows.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=CHUNK)


def survey_distribute(
    *,
    actor: Actor,
    survey_id: int,
    target: str,
    segment_id: int | None = None,
    sms: bool = False,
    link_for: Callable[[str], str] | None = None,
) -> Distribution:
    """Invite a segment or everyone in scope to a published survey (each member once)."""
    require(actor, Perm.SURVEY_MANAGE)
    if sms and not sms_ready():
        raise ValidationFailed(
            _("SMS sending is not set up; the survey shows in the member portal."),
            code="sms_unavailable",
            field="sms",
        )
    now = timezone.now()
    with transaction.atomic():
        survey = survey_locked(survey_id)
        if survey.status != Survey.Status.PUBLISHED:
            raise Conflict(_("Publish the survey before sending it."), code="survey_not_open")
        distribution = Distribution.objects.create(
            survey=survey,
            target=target,
            segment_id=segment_id if target == Distribution.Target.SEGMENT else None,
            store_id=actor.store_id if actor.store_ids is not None else None,
            sms=sms,
            created_by=actor.staff,
            created_at=now,
        )
        invited = queued = 0
        batch: list[int] = []

        def flush() -> None:
            nonlocal invited, queued
            taken = set(
                Invitation.objects.filter(survey=survey, member_id__in=batch).values_list(
                    "member_id", flat=True
                )
            )
            fresh = [m for m in batch if m not in taken]
            Invitation.objects.bulk_create(
                [
                    Invitation(
                        survey=survey, member_id=m, distribution=distribution, created_at=now
                    )
                    for m in fresh
                ],
                ignore_conflicts=True,
            )
            invited += len(fresh)
            if sms:
                queued += survey_links_send(
                    fresh, lambda m: (link_for or str)(token_make(survey.pk, m))
                )
            batch.clear()

        for member_id in _members(actor, target, segment_id):
            batch.append(member_id)
            if len(batch) >= CHUNK:
                flush()
        if batch:
            flush()
        distribution.invited = invited
        distribution.sms_queued = queued
        distribution.save(update_fields=["invited", "sms_queued"])
        Survey.objects.filter(pk=survey.pk).update(invited_count=F("invited_count") + invited)
        audit_record(
            actor=actor,
            action="survey.distributed",
            subject_type="survey",
            subject_id=survey.pk,
            after={
                "distribution_id": distribution.pk,
                "target": target,
                "segment_id": distribution.segment_id,
                "invited": invited,
                "sms": sms,
            },
        )
    return distribution
