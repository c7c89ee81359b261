"""Follow-up tasks by hand: create, assign, take, log an outcome, cancel; the policy.

Every write locks the task row (``select_for_update``), decides on it, writes an audit row
in the same transaction. A store-scoped actor acts only on tasks of its stores; the call
center (chain-wide) acts on every store's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.clock import local_today
from huiyuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from huiyuan.core.permissions import CHAIN_WIDE_ROLES, ROLE_PERMS, Actor, Perm, Role, require
from huiyuan.followups.models import Attempt, Followup, FollowupPolicy
from huiyuan.members.models import Member
from huiyuan.stores.models import Staff, Store

MAX_NOTE = 500
MAX_DAYS_AHEAD = 366


def _snapshot(task: Followup) -> dict[str, object]:
    return {
        "status": task.status,
        "assignee_id": task.assignee_id,
        "due_date": task.due_date.isoformat(),
        "store_id": task.store_id,
    }


def _locked(followup_id: int) -> Followup:
    task = Followup.objects.select_for_update().filter(pk=followup_id).first()
    if task is None:
        raise NotFound(_("Follow-up not found."), code="followup_not_found")
    return task


def _in_scope(actor: Actor, store_id: int) -> None:
    if not actor.covers_store(store_id):
        raise PermissionDenied(
            _("This store is outside your scope."),
            code="store_forbidden",
            details={"store_id": store_id},
        )


def _check_due(due_date: dt.date) -> None:
    today = local_today()
    if not isinstance(due_date, dt.date) or not (
        today <= due_date <= today + dt.timedelta(days=MAX_DAYS_AHEAD)
    ):
        raise ValidationFailed(
            _("Choose a due date from today to a year ahead."),
            code="invalid_due_date",
            field="due_date",
        )


def _assignee(assignee_id: int | None, store_id: int) -> Staff | None:
    """The staff member to hold a task of ``store_id``: active, and working at that store
    (or chain-wide)."""
    if assignee_id is None:
        return None
    staff = Staff.objects.filter(pk=assignee_id, is_active=True).first()
    if staff is None:
        raise ValidationFailed(
            _("Choose an active staff member."), code="invalid_assignee", field="assignee_id"
        )
    if Role(staff.role) not in CHAIN_WIDE_ROLES and not staff.stores.filter(pk=store_id).exists():
        raise ValidationFailed(
            _("This staff member does not work at the task's store."),
            code="assignee_outside_store",
            field="assignee_id",
        )
    if Perm.FOLLOWUP_WORK not in ROLE_PERMS[Role(staff.role)]:
        raise ValidationFailed(
            _("This staff member's role cannot make follow-up calls."),
            code="assignee_cannot_follow_up",
            field="assignee_id",
        )
    return staff


@dataclass(frozen=True)
class FollowupInput:
    member_id: int
    due_date: dt.date
    note: str = ""
    store_id: int | None = None  # default: the member's joining store
    assignee_id: int | None = None


def followup_create(*, actor: Actor, data: FollowupInput) -> Followup:
    """Create a task by hand (reason ``manual``) for a member, at a store in scope."""
    require(actor, Perm.FOLLOWUP_MANAGE)
    _check_due(data.due_date)
    note = (data.note or "").strip()[:MAX_NOTE]
    member = Member.objects.filter(pk=data.member_id).first()
    if member is None:
        raise NotFound(_("Member not found."), code="member_not_found")
    store_id = data.store_id if data.store_id is not None else member.home_store_id
    if not Store.objects.filter(pk=store_id).exists():
        raise ValidationFailed(_("Choose a store."), code="invalid_store", field="store_id")
    _in_scope(actor, store_id)
    assignee = _assignee(data.assignee_id, store_id)
    now = timezone.now()
    with transaction.atomic():
        task = Followup.objects.create(
            member=member,
            reason=Followup.Reason.MANUAL,
            store_id=store_id,
            assignee=assignee,
            due_date=data.due_date,
            note=note,
            created_by=actor.staff,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="followup.created",
            subject_type="followup",
            subject_id=task.pk,
            member_id=member.pk,
            after={**_snapshot(task), "reason": task.reason},
            store_id=store_id,
        )
    return task


def followup_assign(*, actor: Actor, followup_id: int, assignee_id: int | None) -> Followup:
    """Give an open task to a staff member of its store (``None``: back to the queue)."""
    require(actor, Perm.FOLLOWUP_MANAGE)
    with transaction.atomic():
        task = _locked(followup_id)
        _in_scope(actor, task.store_id)
        if not task.is_open:
            raise Conflict(_("This follow-up is already closed."), code="followup_closed")
        assignee = _assignee(assignee_id, task.store_id)
        task.assignee = assignee
        Followup.objects.filter(pk=task.pk).update(assignee=assignee)
        audit_record(
            actor=actor,
            action="followup.assigned",
            subject_type="followup",
            subject_id=task.pk,
            member_id=task.member_id,
            after=_snapshot(task),
            store_id=task.store_id,
        )
    return task


def followup_take(*, actor: Actor, followup_id: int) -> Followup:
    """Take an unassigned task from the queue: it becomes the acting staff member's."""
    require(actor, Perm.FOLLOWUP_WORK)
    if actor.staff is None:
        raise PermissionDenied(_("Only a staff member can take a task."), code="staff_required")
    with transaction.atomic():
        task = _locked(followup_id)
        _in_scope(actor, task.store_id)
        if not task.is_open:
            raise Conflict(_("This follow-up is already closed."), code="followup_closed")
        if task.assignee_id is not None and task.assignee_id != actor.staff.pk:
            raise Conflict(_("Someone else already holds this follow-up."), code="followup_taken")
        task.assignee = actor.staff
        Followup.objects.filter(pk=task.pk).update(assignee=actor.staff)
        audit_record(
            actor=actor,
            action="followup.assigned",
            subject_type="followup",
            subject_id=task.pk,
            member_id=task.member_id,
            after=_snapshot(task),
            store_id=task.store_id,
        )
    return task


def followup_log(
    *,
    actor: Actor,
    followup_id: int,
    outcome: str,
    note: str = "",
    next_due_date: dt.date | None = None,
) -> Attempt:
    """Log one call's outcome. ``reached``, ``wrong_number`` and ``refused`` close the task;
    ``call_back`` moves it to ``next_due_date``; ``no_answer`` keeps it open as it was."""
    require(actor, Perm.FOLLOWUP_WORK)
    if outcome not in Attempt.Outcome.values:
        raise ValidationFailed(_("Choose an outcome."), code="invalid_outcome", field="outcome")
    if outcome == Attempt.Outcome.CALL_BACK:
        if next_due_date is None:
            raise ValidationFailed(
                _("Choose when to call back."), code="call_back_date_required", field="due_date"
            )
        _check_due(next_due_date)
    else:
        next_due_date = None
    note = (note or "").strip()[:MAX_NOTE]
    now = timezone.now()
    with transaction.atomic():
        task = _locked(followup_id)
        _in_scope(actor, task.store_id)
        if not task.is_open:
            raise Conflict(_("This follow-up is already closed."), code="followup_closed")
        mine = actor.staff is not None and task.assignee_id == actor.staff.pk
        if task.assignee_id is not None and not mine and not actor.has(Perm.FOLLOWUP_MANAGE):
            raise PermissionDenied(
                _("This follow-up is assigned to someone else."), code="followup_not_yours"
            )
        attempt = Attempt.objects.create(
            followup=task,
            outcome=outcome,
            note=note,
            staff=actor.staff,
            next_due_date=next_due_date,
            created_at=now,
        )
        task.attempts += 1
        task.last_outcome = outcome
        if outcome in Attempt.CLOSING:
            task.status = Followup.Status.DONE
            task.closed_at = now
        elif next_due_date is not None:
            task.status = Followup.Status.OPEN
            task.due_date = next_due_date
            task.overdue_at = None
        if task.assignee_id is None and actor.staff is not None:
            task.assignee = actor.staff
        task.save(
            update_fields=[
                "attempts",
                "last_outcome",
                "status",
                "closed_at",
                "due_date",
                "overdue_at",
                "assignee",
            ]
        )
        audit_record(
            actor=actor,
            action="followup.logged",
            subject_type="followup",
            subject_id=task.pk,
            member_id=task.member_id,
            after={**_snapshot(task), "outcome": outcome, "attempt_id": attempt.pk},
            store_id=task.store_id,
        )
    return attempt


def followup_cancel(*, actor: Actor, followup_id: int, note: str = "") -> Followup:
    """Cancel an open task (a duplicate, a member who asked not to be called)."""
    require(actor, Perm.FOLLOWUP_MANAGE)
    note = (note or "").strip()[:MAX_NOTE]
    if not note:
        raise ValidationFailed(_("Say why the task is cancelled."), code="reason_required")
    now = timezone.now()
    with transaction.atomic():
        task = _locked(followup_id)
        _in_scope(actor, task.store_id)
        if not task.is_open:
            raise Conflict(_("This follow-up is already closed."), code="followup_closed")
        task.status = Followup.Status.CANCELLED
        task.closed_at = now
        task.save(update_fields=["status", "closed_at"])
        audit_record(
            actor=actor,
            action="followup.cancelled",
            subject_type="followup",
            subject_id=task.pk,
            member_id=task.member_id,
            after=_snapshot(task),
            note=note,
            store_id=task.store_id,
        )
    return task


@dataclass(frozen=True)
class PolicyInput:
    first_purchase_enabled: bool
    first_purchase_days: int
    complaint_days: int
    lapse_enabled: bool
    lapse_days: int
    lapse_task_days: int


def policy_update(*, actor: Actor, data: PolicyInput) -> FollowupPolicy:
    """Change when tasks are made automatically (owner, head office)."""
    require(actor, Perm.FOLLOWUP_CONFIGURE)
    for name, low, high in (
        ("first_purchase_days", 0, 60),
        ("complaint_days", 0, 30),
        ("lapse_days", 7, 730),
        ("lapse_task_days", 0, 60),
    ):
        value = getattr(data, name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValidationFailed(
                _("Enter a number of days from %(low)s to %(high)s.") % {"low": low, "high": high},
                code="invalid_days",
                field=name,
            )
    with transaction.atomic():
        policy = FollowupPolicy.current()
        policy = FollowupPolicy.objects.select_for_update().get(pk=policy.pk)
        before = {f: getattr(policy, f) for f in data.__dataclass_fields__}
        for f in data.__dataclass_fields__:
            setattr(policy, f, getattr(data, f))
        policy.save()
        audit_record(
            actor=actor,
            action="followup.policy_changed",
            subject_type="followup_policy",
            subject_id=policy.pk,
            before=before,
            after={f: getattr(policy, f) for f in data.__dataclass_fields__},
        )
    return policy
