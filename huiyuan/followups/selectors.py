"""Reads of follow-up tasks, always within the actor's stores."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from huiyuan.core.clock import local_today
from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.followups.models import Attempt, Followup
from huiyuan.stores.scope import stores_in_view


def _base(actor: Actor, store_id: int | None = None) -> QuerySet[Followup]:
    require(actor, Perm.FOLLOWUP_VIEW)
    rows = Followup.objects.select_related("member", "store", "assignee")
    stores = stores_in_view(actor, store_id)
    if stores is not None:
        rows = rows.filter(store_id__in=stores)
    return rows


def followup_list(
    *,
    actor: Actor,
    store_id: int | None = None,
    status: str = "",
    reason: str = "",
    assignee_id: int | None = None,
    overdue: bool = False,
) -> QuerySet[Followup]:
    """Tasks in view, soonest due first; ``status`` ``open`` means open or overdue."""
    rows = _base(actor, store_id)
    if status == "open":
        rows = rows.filter(status__in=Followup.OPEN_STATUSES)
    elif status:
        rows = rows.filter(status=status)
    if reason:
        rows = rows.filter(reason=reason)
    if assignee_id is not None:
        rows = rows.filter(assignee_id=assignee_id)
    if overdue:
        rows = rows.filter(status__in=Followup.OPEN_STATUSES, due_date__lt=local_today())
    return rows.order_by("due_date", "id")


def followups_mine(*, actor: Actor) -> QuerySet[Followup]:
    """The acting staff member's open tasks."""
    staff_id = actor.staff.pk if actor.staff is not None else -1
    return followup_list(actor=actor, status="open", assignee_id=staff_id)


def followup_queue(*, actor: Actor, store_id: int | None = None) -> QuerySet[Followup]:
    """The calls to make: open tasks nobody holds, and the actor's own (the call center's
    queue is chain-wide; a store's staff see their stores')."""
    staff_id = actor.staff.pk if actor.staff is not None else -1
    return (
        _base(actor, store_id)
        .filter(status__in=Followup.OPEN_STATUSES)
        .filter(Q(assignee__isnull=True) | Q(assignee_id=staff_id))
        .order_by("due_date", "id")
    )


def followup_get(*, actor: Actor, followup_id: int) -> Followup:
    row = _base(actor).filter(pk=followup_id).first()
    if row is None:
        raise NotFound(_("Follow-up not found."), code="followup_not_found")
    return row


def followup_attempts(*, followup: Followup) -> QuerySet[Attempt]:
    return Attempt.objects.filter(followup=followup).select_related("staff").order_by("-id")


def member_attempts(*, actor: Actor, member_id: int, limit: int = 20) -> list[Attempt]:
    """The outcomes logged for a member (the member page), newest first, in view."""
    require(actor, Perm.FOLLOWUP_VIEW)
    rows = Attempt.objects.filter(followup__member_id=member_id).select_related("followup", "staff")
    if actor.store_ids is not None:
        rows = rows.filter(followup__store_id__in=actor.store_ids)
    return list(rows.order_by("-id")[:limit])


def member_open_followups(*, actor: Actor, member_id: int) -> list[Followup]:
    return list(_base(actor).filter(member_id=member_id, status__in=Followup.OPEN_STATUSES)[:10])
