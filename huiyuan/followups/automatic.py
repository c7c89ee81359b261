"""Tasks the system makes and watches: after a first purchase, a complaint, a lapse; the
daily overdue sweep and its reminders (an SMS to the assignee through the care app).

Each automatic task has a ``dedupe_key`` (unique): ``first_purchase:<member>``,
``complaint:<feedback>``, ``lapse:<member>:<last sale>``. Creating it again — a retried
event, a second run of the daily job — finds the key taken and does nothing, so a member
gets one first-purchase task ever and one lapse task per lapse (a new purchase followed by a
new lapse makes a new one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from huiyuan.audit.services import audit_record
from huiyuan.care.models import ChannelKind, MessageKind
from huiyuan.care.sending import delivery_queue
from huiyuan.checkout.models import Sale
from huiyuan.core.clock import local_day_start, local_today
from huiyuan.core.permissions import Actor, Role
from huiyuan.followups.models import Followup, FollowupPolicy
from huiyuan.members.models import Member

# Automatic work acts as the system: an owner-level actor with no staff behind it.
SYSTEM = Actor(role=Role.OWNER)
CHUNK = 500


def followup_create_auto(
    *,
    member_id: int,
    store_id: int,
    reason: str,
    due_in_days: int,
    dedupe_key: str,
    source_type: str = "",
    source_id: int | None = None,
    today: dt.date | None = None,
) -> Followup | None:
    """Make an automatic task once per ``dedupe_key``; None when it exists already.

    Runs inside the caller's transaction (a savepoint guards the unique key)."""
    if Followup.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    day = today or local_today()
    try:
        with transaction.atomic():
            task = Followup.objects.create(
                member_id=member_id,
                reason=reason,
                store_id=store_id,
                due_date=day + dt.timedelta(days=due_in_days),
                source_type=source_type,
                source_id=source_id,
                dedupe_key=dedupe_key,
                created_at=timezone.now(),
            )
            audit_record(
                actor=SYSTEM,
                action="followup.created",
                subject_type="followup",
                subject_id=task.pk,
                member_id=member_id,
                after={
                    "reason": reason,
                    "store_id": store_id,
                    "due_date": task.due_date.isoformat(),
                    "source_type": source_type,
                    "source_id": source_id,
                },
                store_id=store_id,
            )
    except IntegrityError:
        return None  # made by a concurrent run
    return task


def followup_on_sale(sale_id: int) -> Followup | None:
    """After a member's first purchase: one call to thank them and ask how it went."""
    policy = FollowupPolicy.current()
    if not policy.first_purchase_enabled:
        return None
    sale = Sale.objects.filter(pk=sale_id).only("id", "member_id", "store_id").first()
    if sale is None or sale.member_id is None:
        return None
    if Sale.objects.filter(member_id=sale.member_id, pk__lt=sale.pk).exists():
        return None  # not the first
    return followup_create_auto(
        member_id=sale.member_id,
        store_id=sale.store_id,
        reason=Followup.Reason.FIRST_PURCHASE,
        due_in_days=policy.first_purchase_days,
        dedupe_key=f"first_purchase:{sale.member_id}",
        source_type="sale",
        source_id=sale.pk,
    )


def followup_on_complaint(*, feedback_id: int, member_id: int, store_id: int) -> Followup | None:
    """After a complaint is filed: a call to the member, due by the policy."""
    policy = FollowupPolicy.current()
    return followup_create_auto(
        member_id=member_id,
        store_id=store_id,
        reason=Followup.Reason.COMPLAINT,
        due_in_days=policy.complaint_days,
        dedupe_key=f"complaint:{feedback_id}",
        source_type="feedback",
        source_id=feedback_id,
    )


def _lapsed(cutoff: dt.datetime) -> Iterator[tuple[int, int, int]]:
    """(member id, latest sale id, member's joining store) of active members whose last
    sale is older than ``cutoff`` (the latest sale's id keys the lapse)."""
    rows = (
        Sale.objects.filter(
            member__isnull=False,
            member__status=Member.Status.ACTIVE,
        )
        .values("member_id")
        .annotate(last_at=Max("created_at"), last_id=Max("id"))
        .filter(last_at__lt=cutoff)
        .values_list("member_id", "last_id", "member__home_store_id")
        .order_by("member_id")
    )
    yield from rows.iterator(chunk_size=CHUNK)


def followups_detect_lapses(*, today: dt.date | None = None) -> int:
    """Make a lapse task for each active member with no purchase in the policy's days;
    once per lapse. Returns how many tasks it made."""
    policy = FollowupPolicy.current()
    if not policy.lapse_enabled:
        return 0
    day = today or local_today()
    cutoff = local_day_start(day - dt.timedelta(days=policy.lapse_days))
    made = 0
    batch: list[tuple[int, int, int]] = []

    def flush() -> None:
        nonlocal made
        with transaction.atomic():
            for member_id, last_id, store_id in batch:
                task = followup_create_auto(
                    member_id=member_id,
                    store_id=store_id,
                    reason=Followup.Reason.LAPSE,
                    due_in_days=policy.lapse_task_days,
                    dedupe_key=f"lapse:{member_id}:{last_id}",
                    source_type="sale",
                    source_id=last_id,
                    today=day,
                )
                made += task is not None
        batch.clear()

    for row in _lapsed(cutoff):
        batch.append(row)
        if len(batch) >= CHUNK:
            flush()
    if batch:
        flush()
    return made


OVERDUE_TEMPLATE = "followup_overdue"
# (name, kind, subject, body) in the care app's catalogue of built-in wordings: a notice to
# staff (transactional), naming no member.
OVERDUE_WORDING = (
    "回访逾期提醒",
    MessageKind.TRANSACTIONAL,
    "回访逾期提醒",
    "{name}您好，您负责的回访任务已逾期（期限{date}），请尽快处理。",
)


def _remind(task: Followup) -> bool:
    """Tell the assignee by SMS through the care app; False when they have no mobile."""
    staff = task.assignee
    if staff is None or not staff.mobile:
        return False
    delivery_queue(
        template=OVERDUE_TEMPLATE,
        channel=ChannelKind.SMS,
        to=staff.mobile,
        context={"name": str(staff), "date": task.due_date.isoformat()},
        kind=MessageKind.TRANSACTIONAL,
    )
    return True


def followups_mark_overdue(*, today: dt.date | None = None) -> dict[str, int]:
    """Mark open tasks past their due date as overdue and remind their assignees once."""
    day = today or local_today()
    now = timezone.now()
    marked = reminded = 0
    ids = list(
        Followup.objects.filter(status=Followup.Status.OPEN, due_date__lt=day).values_list(
            "pk", flat=True
        )
    )
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic():
            rows = list(
                Followup.objects.select_for_update()
                .filter(pk__in=ids[start : start + CHUNK], status=Followup.Status.OPEN)
                .order_by("pk")
            )
            for task in rows:
                task.status = Followup.Status.OVERDUE
                task.overdue_at = now
                fields = ["status", "overdue_at"]
                if task.reminded_at is None and _remind(task):
                    task.reminded_at = now
                    fields.append("reminded_at")
                    reminded += 1
                task.save(update_fields=fields)
                audit_record(
                    actor=SYSTEM,
                    action="followup.overdue",
                    subject_type="followup",
                    subject_id=task.pk,
                    member_id=task.member_id,
                    after={"status": task.status, "due_date": task.due_date.isoformat()},
                    store_id=task.store_id,
                )
                marked += 1
    return {"overdue": marked, "reminded": reminded}
