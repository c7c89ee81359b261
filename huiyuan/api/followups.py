"""Follow-up tasks (回访) and feedback (意见与投诉) endpoints.

Lists are store-scoped: a store's staff see their stores' tasks and feedback, the call
center and head office every store's. Writes are not money: they take no Idempotency-Key
(each is safe to repeat or refused as a conflict the second time).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from huiyuan.api.auth import actor_of
from huiyuan.api.idempotent import run_keyed
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.followups import (
    AssignIn,
    AttemptIn,
    FeedbackDetailOut,
    FeedbackIn,
    FeedbackOut,
    FeedbackQuery,
    FeedbackStatusIn,
    FollowupAttemptOut,
    FollowupCancelIn,
    FollowupDetailOut,
    FollowupIn,
    FollowupOut,
    FollowupPolicyIn,
    FollowupPolicyOut,
    FollowupQuery,
    NoFieldsIn,
    OwnerIn,
    ReplyIn,
    ReplyOut,
)
from huiyuan.api.schemas.money import OptionalIdempotencyKey
from huiyuan.core.permissions import Perm, require
from huiyuan.followups import selectors, services
from huiyuan.followups.models import Attempt, Followup, FollowupPolicy
from huiyuan.surveys import selectors as survey_selectors
from huiyuan.surveys import services as survey_services
from huiyuan.surveys.models import Feedback, Reply

router = Router(tags=["followups"])

FollowupId = Path(..., ge=1, le=MAX_ID, description="Follow-up id.")
FeedbackId = Path(..., ge=1, le=MAX_ID, description="Feedback id.")
LIMIT = 500


def followup_out(task: Followup) -> dict[str, Any]:
    out = {
        f: getattr(task, f)
        for f in (
            "id",
            "member_id",
            "reason",
            "store_id",
            "assignee_id",
            "due_date",
            "status",
            "note",
            "attempts",
            "last_outcome",
            "source_type",
            "source_id",
            "created_at",
            "closed_at",
        )
    }
    out["member_code"] = task.member.code
    return out


@router.get("/followups", response={200: list[FollowupOut], **ERRORS}, summary="Follow-up tasks")
def followup_list(request: HttpRequest, filters: Query[FollowupQuery]) -> list[dict[str, Any]]:
    actor = actor_of(request)
    staff_id = actor.staff.pk if actor.staff is not None else -1
    rows = selectors.followup_list(
        actor=actor,
        store_id=filters.store_id,
        status=filters.status or "",
        reason=filters.reason or "",
        assignee_id=staff_id if filters.mine else None,
        overdue=filters.overdue,
    )
    if filters.member_id is not None:
        rows = rows.filter(member_id=filters.member_id)
    return [followup_out(t) for t in rows[:LIMIT]]


@router.get(
    "/followups/queue",
    response={200: list[FollowupOut], **ERRORS},
    summary="The calls to make: open tasks nobody holds, and mine",
)
def followup_queue(request: HttpRequest, filters: Query[FollowupQuery]) -> list[dict[str, Any]]:
    rows = selectors.followup_queue(actor=actor_of(request), store_id=filters.store_id)
    return [followup_out(t) for t in rows[:LIMIT]]


@router.post("/followups", response={201: FollowupOut, **ERRORS}, summary="Create a task by hand")
def followup_create(
    request: HttpRequest,
    payload: FollowupIn,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> Status[dict[str, Any]]:
    task = run_keyed(
        request,
        idempotency_key,
        "followup.create",
        payload.dict(),
        lambda: services.followup_create(
            actor=actor_of(request),
            data=services.FollowupInput(
                member_id=payload.member_id,
                due_date=payload.due_date,
                note=payload.note,
                store_id=payload.store_id,
                assignee_id=payload.assignee_id,
            ),
        ),
        lambda pk: Followup.objects.get(pk=pk),
    )
    return Status(201, followup_out(task))


def _detail(request: HttpRequest, followup_id: int) -> dict[str, Any]:
    task = selectors.followup_get(actor=actor_of(request), followup_id=followup_id)
    return {**followup_out(task), "history": list(selectors.followup_attempts(followup=task))}


@router.get(
    "/followups/policy", response={200: FollowupPolicyOut, **ERRORS}, summary="When tasks are made"
)
def policy_get(request: HttpRequest) -> FollowupPolicy:
    require(actor_of(request), Perm.FOLLOWUP_VIEW)
    return FollowupPolicy.current()


@router.put(
    "/followups/policy", response={200: FollowupPolicyOut, **ERRORS}, summary="Change the policy"
)
def policy_put(request: HttpRequest, payload: FollowupPolicyIn) -> FollowupPolicy:
    return services.policy_update(
        actor=actor_of(request), data=services.PolicyInput(**payload.dict())
    )


@router.get(
    "/followups/{int:followup_id}",
    response={200: FollowupDetailOut, **ERRORS},
    summary="One task with its outcome history",
)
def followup_get(request: HttpRequest, followup_id: int = FollowupId) -> dict[str, Any]:
    return _detail(request, followup_id)


@router.post(
    "/followups/{int:followup_id}/assign",
    response={200: FollowupOut, **ERRORS},
    summary="Assign a task (null: back to the queue)",
)
def followup_assign(
    request: HttpRequest, payload: AssignIn, followup_id: int = FollowupId
) -> dict[str, Any]:
    services.followup_assign(
        actor=actor_of(request), followup_id=followup_id, assignee_id=payload.assignee_id
    )
    return _detail(request, followup_id)


@router.post(
    "/followups/{int:followup_id}/take",
    response={200: FollowupOut, **ERRORS},
    summary="Take an unassigned task",
)
def followup_take(
    request: HttpRequest, payload: NoFieldsIn, followup_id: int = FollowupId
) -> dict[str, Any]:
    services.followup_take(actor=actor_of(request), followup_id=followup_id)
    return _detail(request, followup_id)


@router.post(
    "/followups/{int:followup_id}/attempts",
    response={201: FollowupAttemptOut, **ERRORS},
    summary="Log a call's outcome",
)
def followup_log(
    request: HttpRequest,
    payload: AttemptIn,
    followup_id: int = FollowupId,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> Status[Attempt]:
    attempt = run_keyed(
        request,
        idempotency_key,
        "followup.attempt",
        {"followup_id": followup_id, **payload.dict()},
        lambda: services.followup_log(
            actor=actor_of(request),
            followup_id=followup_id,
            outcome=payload.outcome,
            note=payload.note,
            next_due_date=payload.next_due_date,
        ),
        lambda pk: Attempt.objects.get(pk=pk),
    )
    return Status(201, attempt)


@router.post(
    "/followups/{int:followup_id}/cancel",
    response={200: FollowupOut, **ERRORS},
    summary="Cancel an open task",
)
def followup_cancel(
    request: HttpRequest, payload: FollowupCancelIn, followup_id: int = FollowupId
) -> dict[str, Any]:
    services.followup_cancel(actor=actor_of(request), followup_id=followup_id, note=payload.reason)
    return _detail(request, followup_id)


# -------------------------------------------------------------------------------- feedback


def _feedback_detail(request: HttpRequest, feedback_id: int) -> dict[str, Any]:
    row = survey_selectors.feedback_get(actor=actor_of(request), feedback_id=feedback_id)
    return {**row.__dict__, "replies": list(Reply.objects.filter(feedback=row).order_by("id"))}


@router.get("/feedback", response={200: list[FeedbackOut], **ERRORS}, summary="Feedback")
def feedback_list(request: HttpRequest, filters: Query[FeedbackQuery]) -> list[Feedback]:
    return list(
        survey_selectors.feedback_list(
            actor=actor_of(request),
            store_id=filters.store_id,
            status=filters.status or "",
            category=filters.category or "",
            member_id=filters.member_id,
        )[:LIMIT]
    )


@router.post(
    "/feedback",
    response={201: FeedbackOut, **ERRORS},
    summary="File feedback for a member (a complaint also makes a follow-up)",
)
def feedback_file(
    request: HttpRequest,
    payload: FeedbackIn,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> Status[Feedback]:
    row = run_keyed(
        request,
        idempotency_key,
        "feedback.file",
        payload.dict(),
        lambda: survey_services.feedback_file(
            actor=actor_of(request),
            member_id=payload.member_id,
            category=payload.category,
            text=payload.text,
            store_id=payload.store_id,
        ),
        lambda pk: Feedback.objects.get(pk=pk),
    )
    return Status(201, row)


@router.get(
    "/feedback/{int:feedback_id}",
    response={200: FeedbackDetailOut, **ERRORS},
    summary="One feedback item with its replies",
)
def feedback_get(request: HttpRequest, feedback_id: int = FeedbackId) -> dict[str, Any]:
    return _feedback_detail(request, feedback_id)


@router.post(
    "/feedback/{int:feedback_id}/replies",
    response={201: ReplyOut, **ERRORS},
    summary="Reply to the member",
)
def feedback_reply(
    request: HttpRequest,
    payload: ReplyIn,
    feedback_id: int = FeedbackId,
    idempotency_key: str | None = OptionalIdempotencyKey,
) -> Status[Reply]:
    reply = run_keyed(
        request,
        idempotency_key,
        "feedback.reply",
        {"feedback_id": feedback_id, **payload.dict()},
        lambda: survey_services.feedback_reply(
            actor=actor_of(request), feedback_id=feedback_id, text=payload.text
        ),
        lambda pk: Reply.objects.get(pk=pk),
    )
    return Status(201, reply)


@router.post(
    "/feedback/{int:feedback_id}/status",
    response={200: FeedbackDetailOut, **ERRORS},
    summary="Open, in progress, resolved",
)
def feedback_status(
    request: HttpRequest, payload: FeedbackStatusIn, feedback_id: int = FeedbackId
) -> dict[str, Any]:
    survey_services.feedback_set_status(
        actor=actor_of(request), feedback_id=feedback_id, status=payload.status
    )
    return _feedback_detail(request, feedback_id)


@router.post(
    "/feedback/{int:feedback_id}/owner",
    response={200: FeedbackDetailOut, **ERRORS},
    summary="Give the feedback an owner (null: none)",
)
def feedback_owner(
    request: HttpRequest, payload: OwnerIn, feedback_id: int = FeedbackId
) -> dict[str, Any]:
    survey_services.feedback_assign(
        actor=actor_of(request), feedback_id=feedback_id, owner_id=payload.owner_id
    )
    return _feedback_detail(request, feedback_id)
