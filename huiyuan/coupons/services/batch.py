"""Batch issue to a filter of members or a saved segment: started at once, run by the worker
in short transactions (``CHUNK`` members each, the template locked per chunk), progress kept
on the batch row for the console's progress bar. Each member gets the coupon at most once per
batch (``source = batch:<id>``), so a run resumed after a crash skips those already served.

Store scope: the worker runs as the system, but a batch reaches only the stores its creator
could reach when starting it (kept in the batch's filter as ``scope_store_ids``, and
narrowed to the creator's stores of the day if those shrank). A segment is evaluated when
each chunk is read (segments are re-evaluated when used), under that scope.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.retry import atomic_retry
from huiyuan.coupons.models import Coupon, CouponTemplate, IssueBatch
from huiyuan.coupons.services.issue import issue_locked, issue_refusal
from huiyuan.coupons.services.templates import template_locked
from huiyuan.ledger.commands import actor_scope, clean_key
from huiyuan.members.models import Member
from huiyuan.segments.models import Segment
from huiyuan.segments.selectors import segment_member_ids

CHUNK = 200
SQLITE_PAUSE_SECONDS = 0.11
STOPPING = {"coupon_out_of_stock", "coupon_budget_exhausted", "coupon_template_stopped"}


@dataclass(frozen=True)
class MemberFilter:
    """Which members a batch serves (each empty: no condition; all given: every one holds).
    Active members only. ``segment_id``: the members of a saved segment when read."""

    member_ids: tuple[int, ...] = ()
    tier_codes: tuple[str, ...] = ()
    home_store_ids: tuple[int, ...] = ()
    tag_ids: tuple[int, ...] = ()
    segment_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "member_ids": list(self.member_ids),
            "tier_codes": list(self.tier_codes),
            "home_store_ids": list(self.home_store_ids),
            "tag_ids": list(self.tag_ids),
            "segment_id": self.segment_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MemberFilter:
        segment_id = data.get("segment_id")
        return cls(
            member_ids=tuple(data.get("member_ids", ())),
            tier_codes=tuple(data.get("tier_codes", ())),
            home_store_ids=tuple(data.get("home_store_ids", ())),
            tag_ids=tuple(data.get("tag_ids", ())),
            segment_id=int(segment_id) if segment_id is not None else None,
        )


def members_matching(flt: MemberFilter, *, actor: Actor | None = None) -> QuerySet[Member]:
    """The active members ``flt`` selects, within ``actor``'s stores (None: chain-wide); a
    segment is evaluated now, under the same scope (a deleted segment: nobody)."""
    members = Member.objects.filter(status=Member.Status.ACTIVE)
    if actor is not None and actor.store_ids is not None:
        members = members.filter(home_store_id__in=actor.store_ids)
    if flt.segment_id is not None:
        segment = Segment.objects.filter(pk=flt.segment_id).first()
        if segment is None:
            return Member.objects.none()
        members = members.filter(pk__in=segment_member_ids(segment, actor=actor))
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
    if member_filter.segment_id is not None and not segment_usable(actor, member_filter.segment_id):
        raise NotFound(_("Segment not found."), code="segment_not_found", field="segment_id")
    total = members_matching(member_filter, actor=actor).count()
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
            filter={
                **member_filter.as_dict(),
                "scope_store_ids": None if actor.store_ids is None else sorted(actor.store_ids),
            },
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


def segment_usable(actor: Actor, segment_id: int) -> bool:
    """Whether ``actor`` may send to the segment: a chain-wide one, or one of its stores
    (what it may see; anything else answers as a missing segment)."""
    segment = Segment.objects.filter(pk=segment_id).only("store_id").first()
    return segment is not None and (
        segment.store_id is None or actor.store_ids is None or segment.store_id in actor.store_ids
    )


def batch_reach(batch: IssueBatch, actor: Actor) -> Actor:
    """``actor`` (the worker's system actor) narrowed to the stores the batch may reach: its
    creator's when it was started, and the creator's stores now if those are fewer."""
    saved = batch.filter.get("scope_store_ids")
    store_ids = None if saved is None else frozenset(int(pk) for pk in saved)
    if batch.created_by is not None:
        current = batch.created_by.store_id_set()
        if current is not None:
            store_ids = current if store_ids is None else store_ids & current
    if actor.store_ids is not None:
        store_ids = actor.store_ids if store_ids is None else store_ids & actor.store_ids
    return replace(actor, store_ids=store_ids)


def _enqueue(batch_id: int) -> None:
    from huiyuan.coupons.tasks import run_issue_batch

    run_issue_batch.enqueue(batch_id)


def _chunk(actor: Actor, batch_id: int) -> bool:
    """Serve the next members; True while there are more."""
    batch = IssueBatch.objects.select_for_update().get(pk=batch_id)
    if batch.status in (IssueBatch.Status.DONE, IssueBatch.Status.FAILED):
        return False
    actor = batch_reach(batch, actor)
    members = list(
        members_matching(MemberFilter.from_dict(batch.filter), actor=actor).filter(
            pk__gt=batch.last_member_id
        )[:CHUNK]
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
