"""Create, change, publish, end and cancel activities (活动管理).

A change to a published activity that participants would care about (its name, time,
place or description) is announced to everyone with a live sign-up: a ``Notice`` row
records the message and who it went to, in the same transaction as the change.
Raising the seats promotes the waiting list in sign-up order; lowering them below the
seats taken is refused.

Ending releases the waiting list (refunding fees); cancelling releases every live
sign-up with a full refund. Each release takes that sign-up's card lock first and runs
in its own short transaction (``signups.signup_release``), so the lock order holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.activities.models import Activity, Notice, Signup
from huiyuan.activities.services.common import activity_locked, run_write
from huiyuan.activities.services.signups import seats_promote, signup_release
from huiyuan.audit.services import audit_record
from huiyuan.core.errors import Conflict, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.retry import atomic_retry
from huiyuan.events.services import event_emit
from huiyuan.stores.models import Store

MAX_CAPACITY = 100_000
MAX_FEE_FEN = 100_000_000
MAX_POINTS = 1_000_000
NOTICE_FIELDS = ("name", "starts_at", "ends_at", "location", "description")


@dataclass
class ActivityInput:
    code: str
    name: str
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    description: str = ""
    location: str = ""
    store_ids: list[int] = field(default_factory=list)
    capacity: int = 0
    fee_fen: int = 0
    refund_rule: str = Activity.Refund.FULL
    refund_hours: int = 0
    threshold_fen: int = 0
    reward_kind: str = ""
    reward_points: int = 0
    coupon_template_id: int | None = None
    budget: int | None = None
    occasion: str = ""
    holiday_date: dt.date | None = None


def _fail(message: Any, field_name: str, code: str = "invalid_activity") -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field_name)


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def activity_check(data: ActivityInput) -> ActivityInput:
    """Refuse an activity that could not work; return it cleaned."""
    data.code = (data.code or "").strip()
    data.name = (data.name or "").strip()
    data.description = (data.description or "").strip()
    data.location = (data.location or "").strip()
    if (
        not data.code
        or len(data.code) > 40
        or not data.code.replace("-", "").replace("_", "").isalnum()
    ):
        raise _fail(_("Give a code of letters, digits, - or _."), "code", "invalid_code")
    if not data.name or len(data.name) > 100:
        raise _fail(_("Give a name of at most 100 characters."), "name", "invalid_name")
    if data.kind not in Activity.Kind.values:
        raise _fail(_("Unknown activity kind."), "kind", "invalid_kind")
    if timezone.is_naive(data.starts_at) or timezone.is_naive(data.ends_at):
        raise _fail(_("Give times with their time zone."), "starts_at", "invalid_time")
    if data.ends_at <= data.starts_at:
        raise _fail(_("The end must come after the start."), "ends_at", "ends_before_start")
    if len(data.description) > 1000 or len(data.location) > 200:
        raise _fail(_("The description or location is too long."), "description", "too_long")
    ids = sorted(set(data.store_ids or []))
    if any(not _int(i) for i in ids) or Store.objects.filter(pk__in=ids).count() != len(ids):
        raise _fail(_("Unknown store."), "store_ids", "invalid_store")
    data.store_ids = ids
    if data.kind == Activity.Kind.SIGNUP:
        _check_signup(data)
    else:
        _check_reward(data)
    return data


def _check_signup(data: ActivityInput) -> None:
    if not _int(data.capacity) or not 1 <= data.capacity <= MAX_CAPACITY:
        raise _fail(_("Give the seats, from 1 to 100000."), "capacity", "invalid_capacity")
    if not _int(data.fee_fen) or not 0 <= data.fee_fen <= MAX_FEE_FEN:
        raise _fail(_("The fee is out of range."), "fee_fen", "invalid_fee")
    if data.refund_rule not in Activity.Refund.values:
        raise _fail(_("Unknown refund rule."), "refund_rule", "invalid_refund_rule")
    if not _int(data.refund_hours) or not 0 <= data.refund_hours <= 720:
        raise _fail(_("Give the hours from 0 to 720."), "refund_hours", "invalid_refund_hours")
    if data.refund_rule != Activity.Refund.HOURS_BEFORE:
        data.refund_hours = 0
    data.threshold_fen, data.reward_kind, data.reward_points = 0, "", 0
    data.coupon_template_id, data.budget, data.occasion, data.holiday_date = None, None, "", None


def _check_reward(data: ActivityInput) -> None:
    from huiyuan.coupons.models import CouponTemplate

    data.capacity, data.fee_fen, data.refund_hours = 0, 0, 0
    data.refund_rule = Activity.Refund.FULL
    if data.kind == Activity.Kind.CLAIM:
        data.reward_kind = Activity.Reward.COUPON
    if data.reward_kind not in (Activity.Reward.POINTS, Activity.Reward.COUPON):
        raise _fail(_("Choose the reward: points or a coupon."), "reward_kind", "invalid_reward")
    if data.reward_kind == Activity.Reward.POINTS:
        if not _int(data.reward_points) or not 1 <= data.reward_points <= MAX_POINTS:
            raise _fail(_("Give the points, from 1 to 1000000."), "reward_points", "invalid_points")
        data.coupon_template_id = None
    else:
        data.reward_points = 0
        if (
            data.coupon_template_id is None
            or not CouponTemplate.objects.filter(pk=data.coupon_template_id).exists()
        ):
            raise _fail(
                _("Choose an existing coupon template."),
                "coupon_template_id",
                "invalid_coupon_template",
            )
    if data.budget is not None and (not _int(data.budget) or not 1 <= data.budget <= 10_000_000):
        raise _fail(_("The budget is out of range."), "budget", "invalid_budget")
    if data.kind == Activity.Kind.PAYMENT:
        if not _int(data.threshold_fen) or not 1 <= data.threshold_fen <= MAX_FEE_FEN:
            raise _fail(_("Give the amount to spend."), "threshold_fen", "invalid_threshold")
    else:
        data.threshold_fen = 0
    if data.kind == Activity.Kind.CARE:
        if data.occasion not in (Activity.Occasion.BIRTHDAY, Activity.Occasion.HOLIDAY):
            raise _fail(
                _("Choose the occasion: birthday or holiday."), "occasion", "invalid_occasion"
            )
        if data.occasion == Activity.Occasion.HOLIDAY and data.holiday_date is None:
            raise _fail(_("Give the holiday's date."), "holiday_date", "invalid_holiday_date")
        if data.occasion == Activity.Occasion.BIRTHDAY:
            data.holiday_date = None
    else:
        data.occasion, data.holiday_date = "", None


def _fields(data: ActivityInput) -> dict[str, Any]:
    return {k: v for k, v in asdict(data).items() if k != "code"}


def activity_snapshot(activity: Activity) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("code", "name", "kind", "status", "capacity", "fee_fen", "refund_rule"):
        out[name] = getattr(activity, name)
    out["starts_at"] = activity.starts_at.isoformat()
    out["ends_at"] = activity.ends_at.isoformat()
    out["location"] = activity.location
    out["reward_kind"] = activity.reward_kind
    out["reward_points"] = activity.reward_points
    out["budget"] = activity.budget
    return out


def _payload(data: ActivityInput) -> dict[str, Any]:
    raw = asdict(data)
    for name in ("starts_at", "ends_at", "holiday_date"):
        raw[name] = raw[name].isoformat() if raw[name] else None
    return raw


def activity_create(
    *, actor: Actor, data: ActivityInput, idempotency_key: str | None = None
) -> Activity:
    """Write a new activity as a draft."""
    require(actor, Perm.ACTIVITY_MANAGE)
    data = activity_check(data)

    def perform() -> Activity:
        if Activity.objects.filter(code=data.code).exists():
            raise Conflict(_("This activity code is taken."), code="activity_code_taken")
        now = timezone.now()
        activity = Activity.objects.create(
            code=data.code, created_by=actor.staff, created_at=now, updated_at=now, **_fields(data)
        )
        audit_record(
            actor=actor,
            action="activity.created",
            subject_type="activity",
            subject_id=activity.pk,
            after=activity_snapshot(activity),
        )
        return activity

    return run_write(
        actor=actor,
        key=idempotency_key,
        kind="activity_create",
        payload=_payload(data),
        perform=perform,
        load=lambda pk: Activity.objects.get(pk=pk),
    )


def _announce(
    actor: Actor, activity: Activity, changes: dict[str, Any], now: dt.datetime
) -> Notice | None:
    """Record the notice of a change to everyone with a live sign-up (None: nobody)."""
    member_ids = list(
        Signup.objects.filter(activity=activity, status__in=Signup.LIVE)
        .order_by("id")
        .values_list("member_id", flat=True)
    )
    if not member_ids:
        return None
    parts = []
    if "starts_at" in changes or "ends_at" in changes:
        parts.append(str(_("new time")))
    if "location" in changes:
        parts.append(str(_("new place")))
    if "name" in changes or "description" in changes:
        parts.append(str(_("new details")))
    message = str(_("The activity “%(name)s” has changed: %(what)s.")) % {
        "name": activity.name,
        "what": "、".join(parts),
    }
    return Notice.objects.create(
        activity=activity,
        version=activity.version,
        message=message[:500],
        changes=changes,
        member_ids=member_ids,
        created_by=actor.staff,
        created_at=now,
    )


def activity_update(
    *, actor: Actor, activity_id: int, data: ActivityInput, idempotency_key: str | None = None
) -> Activity:
    """Change an activity; a published one's participants are told what changed."""
    require(actor, Perm.ACTIVITY_MANAGE)
    data = activity_check(data)

    def perform() -> Activity:
        now = timezone.now()
        activity = activity_locked(activity_id)
        if activity.status in (Activity.Status.ENDED, Activity.Status.CANCELLED):
            raise Conflict(_("This activity is over and cannot change."), code="activity_over")
        if data.code != activity.code:
            raise ValidationFailed(_("The code cannot change."), code="code_fixed", field="code")
        if data.kind != activity.kind:
            raise ValidationFailed(_("The kind cannot change."), code="kind_fixed", field="kind")
        published = activity.status == Activity.Status.PUBLISHED
        if published and data.fee_fen != activity.fee_fen:
            raise Conflict(
                _("The fee cannot change once the activity is published."), code="fee_fixed"
            )
        if data.capacity < activity.seats_taken:
            raise Conflict(
                _("There are more seats taken than that."),
                code="capacity_below_seated",
                details={"seats_taken": activity.seats_taken},
            )
        if data.budget is not None and data.budget < activity.budget_used:
            raise Conflict(
                _("More of the budget is already used than that."),
                code="budget_below_used",
                details={"budget_used": activity.budget_used},
            )
        before = activity_snapshot(activity)
        changes: dict[str, Any] = {}
        for name, value in _fields(data).items():
            old = getattr(activity, name)
            if old != value:
                if name in NOTICE_FIELDS:
                    changes[name] = {
                        "from": old.isoformat() if isinstance(old, dt.datetime) else old,
                        "to": value.isoformat() if isinstance(value, dt.datetime) else value,
                    }
                setattr(activity, name, value)
        activity.version += 1
        activity.updated_at = now
        activity.save()
        notice = _announce(actor, activity, changes, now) if published and changes else None
        promoted = seats_promote(actor=actor, activity=activity, now=now) if published else []
        audit_record(
            actor=actor,
            action="activity.changed",
            subject_type="activity",
            subject_id=activity.pk,
            before=before,
            after={**activity_snapshot(activity), "promoted": len(promoted)},
        )
        if published:
            event_emit(
                "activity.changed",
                payload={
                    "activity_id": activity.pk,
                    "version": activity.version,
                    "notified": len(notice.member_ids) if notice else 0,
                },
            )
        return activity

    return run_write(
        actor=actor,
        key=idempotency_key,
        kind="activity_update",
        payload={"activity_id": activity_id, **_payload(data)},
        perform=perform,
        load=lambda pk: Activity.objects.get(pk=pk),
    )


def activity_publish(
    *, actor: Actor, activity_id: int, idempotency_key: str | None = None
) -> Activity:
    """Open a draft activity to members (发布)."""
    require(actor, Perm.ACTIVITY_MANAGE)

    def perform() -> Activity:
        now = timezone.now()
        activity = activity_locked(activity_id)
        if activity.status == Activity.Status.PUBLISHED:
            return activity
        if activity.status != Activity.Status.DRAFT:
            raise Conflict(_("This activity is over and cannot change."), code="activity_over")
        if activity.ends_at <= now:
            raise Conflict(_("This activity's time is already past."), code="activity_in_past")
        activity.status = Activity.Status.PUBLISHED
        activity.published_at = now
        activity.updated_at = now
        activity.save(update_fields=["status", "published_at", "updated_at"])
        audit_record(
            actor=actor,
            action="activity.published",
            subject_type="activity",
            subject_id=activity.pk,
            before={"status": Activity.Status.DRAFT},
            after={"status": activity.status},
        )
        event_emit(
            "activity.published", payload={"activity_id": activity.pk, "kind": activity.kind}
        )
        return activity

    return run_write(
        actor=actor,
        key=idempotency_key,
        kind="activity_publish",
        payload={"activity_id": activity_id},
        perform=perform,
        load=lambda pk: Activity.objects.get(pk=pk),
    )


def _close(actor: Actor, activity_id: int, to: str, reason: str) -> Activity:
    def perform() -> Activity:
        now = timezone.now()
        activity = activity_locked(activity_id)
        if activity.status == to:
            return activity
        allowed = (
            (Activity.Status.PUBLISHED,)
            if to == Activity.Status.ENDED
            else (
                Activity.Status.DRAFT,
                Activity.Status.PUBLISHED,
            )
        )
        if activity.status not in allowed:
            raise Conflict(_("This activity is over and cannot change."), code="activity_over")
        before = activity.status
        activity.status = to
        activity.ended_at = now
        activity.updated_at = now
        activity.save(update_fields=["status", "ended_at", "updated_at"])
        if to == Activity.Status.CANCELLED:
            message = str(_("The activity “%(name)s” is cancelled; fees are refunded.")) % {
                "name": activity.name
            }
            members = list(
                Signup.objects.filter(activity=activity, status__in=Signup.LIVE).values_list(
                    "member_id", flat=True
                )
            )
            if members:
                Notice.objects.create(
                    activity=activity,
                    version=activity.version,
                    message=message,
                    changes={"status": {"from": before, "to": to}},
                    member_ids=members,
                    created_by=actor.staff,
                    created_at=now,
                )
        audit_record(
            actor=actor,
            action=f"activity.{to}",
            subject_type="activity",
            subject_id=activity.pk,
            before={"status": before},
            after={"status": to},
            note=reason,
        )
        event_emit("activity.ended", payload={"activity_id": activity.pk, "status": to})
        return activity

    activity = atomic_retry(perform)  # idempotent by state: a second call changes nothing
    releasing = (
        (Signup.Status.WAITLISTED,)
        if to == Activity.Status.ENDED
        else (Signup.Status.SEATED, Signup.Status.WAITLISTED, Signup.Status.ATTENDED)
    )
    for signup_id in Signup.objects.filter(
        activity_id=activity.pk, status__in=releasing
    ).values_list("id", flat=True):
        signup_release(actor=actor, signup_id=signup_id)
    activity.refresh_from_db()
    return activity


def activity_end(*, actor: Actor, activity_id: int) -> Activity:
    """End a published activity (结束): the waiting list is released and its fees refunded.
    Ending again finishes any release an interruption left undone."""
    require(actor, Perm.ACTIVITY_MANAGE)
    return _close(actor, activity_id, Activity.Status.ENDED, "")


def activity_cancel(*, actor: Actor, activity_id: int, reason: str) -> Activity:
    """Cancel an activity: every participant is told and refunded in full."""
    require(actor, Perm.ACTIVITY_MANAGE)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason."), code="reason_required", field="reason")
    return _close(actor, activity_id, Activity.Status.CANCELLED, reason)
