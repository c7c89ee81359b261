"""Batch issue to a filter of members: started at once, run by the worker in short
transactions (``CHUNK`` members each, the template locked per chunk), progress kept on the
batch row for the console's progress bar. Each member gets the coupon at most once per batch
(``source = batch:<id>``), so a run resumed after a crash skips those already served.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.retry import atomic_retry
from huiyuan.coupons.models import Coupon, CouponTemplate, IssueBatch
from huiyuan.coupons.services.issue import issue_locked, issue_refusal
from huiyuan.coupons.services.templates import template_locked
from huiyuan.ledger.commands import actor_scope, clean_key
from huiyuan.members.models import Member

CHUNK = 200
SQLITE_PAUSE_SECONDS = 0.11
STOPPING = {"coupon_out_of_stock", "coupon_budget_exhausted", "coupon_template_stopped"}


@dataclass(frozen=True)
class MemberFilter:
    """Which members a batch serves (each empty: no condition). Active members only."""

    member_ids: tuple[int, ...] = ()
    tier_codes: tuple[str, ...] = ()
    home_store_ids: tuple[int, ...] = ()
    tag_ids: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, list[Any]]:
        return {
            "member_ids": list(self.member_ids),
            "tier_codes": list(self.tier_codes),
            "home_store_ids": list(self.home_store_ids),
            "tag_ids": list(self.tag_ids),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MemberFilter:
        return cls(
            member_ids=tuple(data.get("member_ids", ())),
            tier_codes=tuple(data.get("tier_codes", ())),
            home_store_ids=tuple(data.get("home_store_ids", ())),
            tag_ids=tuple(data.get("tag_ids", ())),
        )


def members_matching(flt: MemberFilter) -> QuerySet[Member]:
    members = Member.objects.filter(status=Member.Status.ACTIVE)
    if flt.member_ids:
        members = members.filter(pk__in=flt.member_ids)
    if flt.tier_codes:
        members = members.filter(tier_state__tier__code__in=flt.tier_codes)
    if flt.home_store_ids:
        members = members.filter(home_store_id__in=flt.home_store_ids)
    if flt.tag_ids:
        members = members.filter(tags__in=flt.tag_ids).distinct()
    return members.order_by("pk")


def issue_batch_start(
    *, actor: Actor, template_id: int, member_filter: MemberFilter, idempotency_key: str
) -> IssueBatch:
    """Record the batch and hand it to the worker; the same key returns the same batch."""
    require(actor, Perm.COUPON_MANAGE)
    key = f"{actor_scope(actor)}:{clean_key(idempotency_key)}"
    existing = IssueBatch.objects.filter(key=key).first()
    if existing is not None:
        return existing
    total = members_matching(member_filter).count()
    if total == 0:
        raise ValidationFailed(_("No member matches this filter."), code="batch_no_members")
    with transaction.atomic():
        template = template_locked(template_id)
        if template.status != CouponTemplate.Status.ACTIVE:
            raise ValidationFailed(
                _("This coupon template is stopped."), code="coupon_template_stopped"
            )
        batch = IssueBatch.objects.create(
            template=template,
            filter=member_filter.as_dict(),
            key=key,
            total=total,
            created_by=actor.staff,
            created_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action="coupon_batch.started",
            subject_type="coupon_batch",
            subject_id=batch.pk,
            after={"template": template.pk, "total": total, "filter": batch.filter},
        )
        transaction.on_commit(lambda: _enqueue(batch.pk))
    return batch


def _enqueue(batch_id: int) -> None:
    from huiyuan.coupons.tasks import run_issue_batch

    run_issue_batch.enqueue(batch_id)


def _chunk(actor: Actor, batch_id: int) -> bool:
    """Serve the next members; True while there are more."""
    batch = IssueBatch.objects.select_for_update().get(pk=batch_id)
    if batch.status in (IssueBatch.Status.DONE, IssueBatch.Status.FAILED):
        return False
    members = list(
        members_matching(MemberFilter.from_dict(batch.filter)).filter(pk__gt=batch.last_member_id)[
            :CHUNK
        ]
    )
    template = template_locked(batch.template_id)
    now = timezone.now()
    source = f"batch:{batch.pk}"
    served = set(
        Coupon.objects.filter(template=template, source=source, member__in=members).values_list(
            "member_id", flat=True
        )
    )
    stop = False
    for member in members:
        batch.done += 1
        batch.last_member_id = member.pk
        if member.pk in served:
            continue
        refusal = issue_refusal(template, member, now)
        if refusal is not None:
            batch.skipped += 1
            if refusal.code in STOPPING:
                stop = True
                break
            continue
        issue_locked(
            actor=actor,
            template=template,
            member=member,
            channel=Coupon.Channel.BATCH,
            now=now,
            source=source,
        )
        batch.issued += 1
    more = bool(members) and not stop and len(members) == CHUNK
    if stop:
        batch.skipped += max(batch.total - batch.done, 0)
        batch.done = batch.total
    if not more:
        batch.status = IssueBatch.Status.DONE
        batch.finished_at = now
        batch.total = max(batch.total, batch.done)  # members who joined the filter since
    else:
        batch.status = IssueBatch.Status.RUNNING
    batch.save()
    return more


def issue_batch_run(*, actor: Actor, batch_id: int) -> IssueBatch:
    """Run (or resume) a batch to its end, one short transaction per chunk."""
    try:
        while atomic_retry(lambda: _chunk(actor, batch_id)):
            if connection.vendor == "sqlite":
                time.sleep(SQLITE_PAUSE_SECONDS)
    except Exception as exc:
        IssueBatch.objects.filter(pk=batch_id).update(
            status=IssueBatch.Status.FAILED, error=str(exc)[:500]
        )
        raise
    return IssueBatch.objects.get(pk=batch_id)
