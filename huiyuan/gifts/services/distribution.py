"""Batch gift distribution (礼品派发) to a member list, free, for a campaign.

``distribution_create`` writes the batch and one line per distinct member (unique per batch
and member: a member is given the gift at most once per batch). ``distribution_run``
applies the pending lines each in a short transaction of its own, each
line under its member's lock then the gift row's lock; a counter never waits for the
batch. A member who is not active, or a gift out of stock or delisted, skips the line with
a reason code. Running again (after a crash, or twice at once) continues with what is
still pending: a line is decided under its own row lock and never applied twice.
"""

from __future__ import annotations

import time
from functools import partial

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.cards.locks import member_lock
from huiyuan.core.errors import NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.retry import atomic_retry
from huiyuan.gifts.models import Distribution, DistributionLine, Gift, GiftMovement, Redemption
from huiyuan.gifts.services.common import _for_update, gift_locked, stock_change
from huiyuan.ledger.commands import command_run
from huiyuan.members.models import Member

MAX_MEMBERS = 100_000
CHUNK_LINES = 50


def distribution_create(
    *, actor: Actor, gift_id: int, member_ids: list[int], reason: str, idempotency_key: str
) -> Distribution:
    """A batch for these members (duplicates counted once); nothing is given yet."""
    require(actor, Perm.GIFT_MANAGE)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason."), code="reason_required", field="reason")
    wanted = sorted({m for m in member_ids if isinstance(m, int) and m > 0})
    if not wanted or len(wanted) > MAX_MEMBERS:
        raise ValidationFailed(
            _("Choose from 1 to 100,000 members."), code="invalid_members", field="member_ids"
        )
    known = set(Member.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    unknown = [m for m in wanted if m not in known]
    if unknown:
        raise NotFound(
            _("Some members do not exist."),
            code="member_not_found",
            field="member_ids",
            details={"member_ids": unknown[:20]},
        )
    if not Gift.objects.filter(pk=gift_id).exists():
        raise NotFound(_("Gift not found."), code="gift_not_found")

    def perform() -> Distribution:
        batch = Distribution.objects.create(
            gift_id=gift_id,
            reason=reason[:200],
            total=len(wanted),
            store_id=actor.store_id,
            created_by=actor.staff,
            created_at=timezone.now(),
        )
        DistributionLine.objects.bulk_create(
            [DistributionLine(distribution=batch, member_id=m) for m in wanted], batch_size=1000
        )
        audit_record(
            actor=actor,
            action="gift.distribution_created",
            subject_type="gift_distribution",
            subject_id=batch.pk,
            after={"gift_id": gift_id, "members": len(wanted)},
            note=reason,
        )
        return batch

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="gift_distribution",
        payload={"gift_id": gift_id, "member_ids": wanted, "reason": reason},
        perform=perform,
        load=lambda pk: Distribution.objects.get(pk=pk),
    )


def _apply_line(actor: Actor, batch: Distribution, line_id: int) -> str:
    """Decide one line under its member's lock, the gift's, then the line's own."""
    now = timezone.now()
    member_id = DistributionLine.objects.values_list("member_id", flat=True).get(pk=line_id)
    member = member_lock(member_id)
    gift = gift_locked(batch.gift_id)
    line = _for_update(DistributionLine.objects.filter(pk=line_id)).get()
    if line.status != DistributionLine.Status.PENDING:
        return ""
    reason = ""
    if member is None or member.status != Member.Status.ACTIVE:
        reason = "member_not_active"
    elif gift.status != Gift.Status.ACTIVE:
        reason = "gift_delisted"
    elif gift.stock < 1:
        reason = "gift_out_of_stock"
    if reason:
        line.status, line.reason_code = DistributionLine.Status.SKIPPED, reason
        line.save(update_fields=["status", "reason_code"])
        return "skipped"
    redemption = Redemption.objects.create(
        gift=gift,
        member_id=member_id,
        store_id=batch.store_id,
        channel=Redemption.Channel.DISTRIBUTION,
        quantity=1,
        points=0,
        created_by=actor.staff,
        created_at=now,
    )
    stock_change(
        gift=gift,
        kind=GiftMovement.Kind.DISTRIBUTE,
        delta=-1,
        actor=actor,
        now=now,
        redemption=redemption,
        reason=batch.reason,
        store_id=batch.store_id,
    )
    line.status, line.redemption = DistributionLine.Status.GIVEN, redemption
    line.save(update_fields=["status", "redemption"])
    return "given"


def _count(actor: Actor, batch_id: int) -> Distribution:
    """Recount the batch's progress from its lines (under the batch row's lock); the batch
    is done, and audited once, when no line is pending."""
    batch = _for_update(Distribution.objects.filter(pk=batch_id)).get()
    lines = DistributionLine.objects.filter(distribution_id=batch_id)
    batch.given = lines.filter(status=DistributionLine.Status.GIVEN).count()
    batch.skipped = lines.filter(status=DistributionLine.Status.SKIPPED).count()
    fields = ["given", "skipped"]
    if batch.done >= batch.total and batch.status != Distribution.Status.DONE:
        batch.status, batch.finished_at = Distribution.Status.DONE, timezone.now()
        fields += ["status", "finished_at"]
        audit_record(
            actor=actor,
            action="gift.distribution_done",
            subject_type="gift_distribution",
            subject_id=batch.pk,
            after={"given": batch.given, "skipped": batch.skipped},
        )
    batch.save(update_fields=fields)
    return batch


def distribution_run(
    *, actor: Actor, distribution_id: int, max_seconds: float | None = None
) -> Distribution:
    """Apply the pending lines, each in its own short transaction; recount the progress
    after every chunk of lines. Returns the batch with its progress.

    ``max_seconds``: stop after about that long (the page shows progress and runs again).
    """
    require(actor, Perm.GIFT_MANAGE)
    batch = Distribution.objects.filter(pk=distribution_id).first()
    if batch is None:
        raise NotFound(_("Distribution not found."), code="distribution_not_found")
    started = time.monotonic()
    gift_batch: Distribution = batch

    def apply(line_id: int) -> str:
        return _apply_line(actor, gift_batch, line_id)

    def count() -> Distribution:
        return _count(actor, gift_batch.pk)

    while True:
        pending = list(
            DistributionLine.objects.filter(
                distribution_id=gift_batch.pk, status=DistributionLine.Status.PENDING
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:CHUNK_LINES]
        )
        for line_id in pending:
            atomic_retry(partial(apply, line_id))
        progress = atomic_retry(count)
        if not pending:
            return progress
        if max_seconds is not None and time.monotonic() - started > max_seconds:
            return progress
