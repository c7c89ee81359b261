"""Activity endpoints (会员活动): activities and their sign-ups, claims, statistics and dry
runs; points tasks, manual grants and double-points days (docs/activities.md).

Every write that moves money, points or a seat takes an ``Idempotency-Key``; a replay
returns the first result. Ending and cancelling an activity are idempotent by state.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from huiyuan.activities import dryrun, selectors, services
from huiyuan.activities.models import Activity, GrantBatch, Notice, PointsDay, RewardGrant, Signup
from huiyuan.activities.services import grants, points_days, rewards
from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.activities import (
    ActivityDryRunOut,
    ActivityDryRunQuery,
    ActivityIn,
    ActivityOut,
    ActivityQuery,
    ActivityStatsOut,
    CancelActivityIn,
    CardIn,
    GrantBatchIn,
    GrantBatchOut,
    GrantOut,
    NoFieldsIn,
    NoticeOut,
    PointsDayIn,
    PointsDayOut,
    SignupCancelIn,
    SignupOut,
    TaskCode,
    TaskCompleteIn,
    TaskIn,
    TaskOut,
)
from huiyuan.api.schemas.common import ERRORS, MAX_ID
from huiyuan.api.schemas.money import IdempotencyKey, balances_out, require_key
from huiyuan.cards.selectors import card_balances_after
from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Perm, require

router = Router(tags=["activities"])

ActivityId = Path(..., ge=1, le=MAX_ID, description="Activity id.")
SignupId = Path(..., ge=1, le=MAX_ID, description="Sign-up id.")
BatchId = Path(..., ge=1, le=MAX_ID, description="Grant batch id.")
DayId = Path(..., ge=1, le=MAX_ID, description="Double-points day id.")
RuleId = Path(..., ge=1, le=MAX_ID, description="Earn rule id.")


def _input(payload: ActivityIn) -> services.ActivityInput:
    return services.ActivityInput(**payload.dict())


def activity_out(row: Activity) -> dict[str, Any]:
    out = {f.name: getattr(row, f.name) for f in Activity._meta.concrete_fields}
    out["seats_left"] = row.seats_left
    return out


def signup_out(row: Signup, *, with_balances: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {f.attname: getattr(row, f.attname) for f in Signup._meta.concrete_fields}
    if with_balances and row.card_id:
        operation_id = row.refund_operation_id or row.fee_operation_id
        if operation_id:
            out["balances_after"] = balances_out(
                card_balances_after(card_id=row.card_id, operation_id=operation_id)
            )
    return out


def _notice_out(row: Notice) -> dict[str, Any]:
    return {
        "id": row.pk,
        "version": row.version,
        "message": row.message,
        "changes": row.changes,
        "recipients": len(row.member_ids),
        "channel": row.channel,
        "created_at": row.created_at,
    }


def _batch_out(row: GrantBatch) -> dict[str, Any]:
    out = {f.attname: getattr(row, f.attname) for f in GrantBatch._meta.concrete_fields}
    out["percent"] = row.percent
    return out


@router.get(
    "/activities", response={200: list[ActivityOut], **ERRORS}, summary="Activities (at most 1000)"
)
def activity_list(request: HttpRequest, filters: Query[ActivityQuery]) -> list[dict[str, Any]]:
    rows = selectors.activity_list(
        actor=actor_of(request), kind=filters.kind or "", status=filters.status or "", q=filters.q
    )
    return [activity_out(a) for a in rows]


@router.post(
    "/activities", response={201: ActivityOut, **ERRORS}, summary="Create an activity (a draft)"
)
def activity_create(
    request: HttpRequest, payload: ActivityIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    row = services.activity_create(
        actor=actor_of(request), data=_input(payload), idempotency_key=require_key(idempotency_key)
    )
    return Status(201, activity_out(row))


@router.get(
    "/activities/{int:activity_id}", response={200: ActivityOut, **ERRORS}, summary="One activity"
)
def activity_get(request: HttpRequest, activity_id: int = ActivityId) -> dict[str, Any]:
    return activity_out(selectors.activity_get(actor=actor_of(request), activity_id=activity_id))


@router.put(
    "/activities/{int:activity_id}",
    response={200: ActivityOut, **ERRORS},
    summary="Change an activity (participants of a published one are notified)",
)
def activity_update(
    request: HttpRequest,
    payload: ActivityIn,
    activity_id: int = ActivityId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    row = services.activity_update(
        actor=actor_of(request),
        activity_id=activity_id,
        data=_input(payload),
        idempotency_key=require_key(idempotency_key),
    )
    return activity_out(row)


@router.post(
    "/activities/{int:activity_id}/publish",
    response={200: ActivityOut, **ERRORS},
    summary="Publish a draft activity",
)
def activity_publish(
    request: HttpRequest,
    payload: NoFieldsIn,
    activity_id: int = ActivityId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    row = services.activity_publish(
        actor=actor_of(request),
        activity_id=activity_id,
        idempotency_key=require_key(idempotency_key),
    )
    return activity_out(row)


@router.post(
    "/activities/{int:activity_id}/end",
    response={200: ActivityOut, **ERRORS},
    summary="End an activity (the waiting list is released and refunded)",
)
def activity_end(
    request: HttpRequest, payload: NoFieldsIn, activity_id: int = ActivityId
) -> dict[str, Any]:
    return activity_out(services.activity_end(actor=actor_of(request), activity_id=activity_id))


@router.post(
    "/activities/{int:activity_id}/cancel",
    response={200: ActivityOut, **ERRORS},
    summary="Cancel an activity (everyone told and refunded in full)",
)
def activity_cancel(
    request: HttpRequest, payload: CancelActivityIn, activity_id: int = ActivityId
) -> dict[str, Any]:
    row = services.activity_cancel(
        actor=actor_of(request), activity_id=activity_id, reason=payload.reason
    )
    return activity_out(row)


@router.get(
    "/activities/{int:activity_id}/stats",
    response={200: ActivityStatsOut, **ERRORS},
    summary="Statistics: seats, waiting list, attendance, fees, rewards and their cost",
)
def activity_stats(request: HttpRequest, activity_id: int = ActivityId) -> selectors.ActivityStats:
    return selectors.activity_stats(actor=actor_of(request), activity_id=activity_id)


@router.get(
    "/activities/{int:activity_id}/signups",
    response={200: list[SignupOut], **ERRORS},
    summary="Sign-ups of an activity in sign-up order (at most 2000)",
)
def activity_signups(request: HttpRequest, activity_id: int = ActivityId) -> list[dict[str, Any]]:
    rows = selectors.signups_of(actor=actor_of(request), activity_id=activity_id)
    return [signup_out(s) for s in rows]


@router.get(
    "/activities/{int:activity_id}/notices",
    response={200: list[NoticeOut], **ERRORS},
    summary="Change notices sent to the participants",
)
def activity_notices(request: HttpRequest, activity_id: int = ActivityId) -> list[dict[str, Any]]:
    rows = selectors.notices_of(actor=actor_of(request), activity_id=activity_id)
    return [_notice_out(n) for n in rows]


@router.post(
    "/activities/{int:activity_id}/signups",
    response={201: SignupOut, **ERRORS},
    summary="Sign a card's member up (a seat, else the waiting list; the fee from stored value)",
)
def signup_create(
    request: HttpRequest,
    payload: CardIn,
    activity_id: int = ActivityId,
    idempotency_key: str = IdempotencyKey,
) -> Status[dict[str, Any]]:
    row = services.signup_create(
        actor=actor_of(request),
        activity_id=activity_id,
        card_id=payload.card_id,
        channel="api",
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, signup_out(row, with_balances=True))


@router.get(
    "/activities/signups/{int:signup_id}", response={200: SignupOut, **ERRORS}, summary="A sign-up"
)
def signup_get(request: HttpRequest, signup_id: int = SignupId) -> dict[str, Any]:
    return signup_out(selectors.signup_get(actor=actor_of(request), signup_id=signup_id))


@router.post(
    "/activities/signups/{int:signup_id}/cancel",
    response={200: SignupOut, **ERRORS},
    summary="Cancel a sign-up (refund by the activity's rule; the waiting list moves up)",
)
def signup_cancel(
    request: HttpRequest,
    payload: SignupCancelIn,
    signup_id: int = SignupId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    row = services.signup_cancel(
        actor=actor_of(request),
        signup_id=signup_id,
        reason=payload.reason,
        idempotency_key=require_key(idempotency_key),
    )
    return signup_out(row, with_balances=True)


@router.post(
    "/activities/signups/{int:signup_id}/attend",
    response={200: SignupOut, **ERRORS},
    summary="Check a seated member's attendance in (到场签到)",
)
def signup_attend(
    request: HttpRequest,
    payload: NoFieldsIn,
    signup_id: int = SignupId,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    row = services.signup_attend(
        actor=actor_of(request), signup_id=signup_id, idempotency_key=require_key(idempotency_key)
    )
    return signup_out(row)


@router.post(
    "/activities/{int:activity_id}/claims",
    response={201: GrantOut, **ERRORS},
    summary="Claim the activity's coupon for a card's member (once, within stock)",
)
def activity_claim(
    request: HttpRequest,
    payload: CardIn,
    activity_id: int = ActivityId,
    idempotency_key: str = IdempotencyKey,
) -> Status[RewardGrant]:
    grant = rewards.activity_claim(
        actor=actor_of(request),
        activity_id=activity_id,
        card_id=payload.card_id,
        idempotency_key=require_key(idempotency_key),
    )
    return Status(201, grant)


@router.get(
    "/activities/{int:activity_id}/dry-run",
    response={200: ActivityDryRunOut, **ERRORS},
    summary="What a spend-and-get activity would have given on past sales (last month by default)",
)
def activity_dry_run(
    request: HttpRequest, filters: Query[ActivityDryRunQuery], activity_id: int = ActivityId
) -> dryrun.DryRun:
    return dryrun.activity_dry_run(
        actor=actor_of(request),
        activity_id=activity_id,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )


@router.get(
    "/activities/earn-rules/{int:rule_id}/dry-run",
    response={200: ActivityDryRunOut, **ERRORS},
    summary="What an earn rule alone would have given on past sales",
)
def earn_rule_dry_run(
    request: HttpRequest, filters: Query[ActivityDryRunQuery], rule_id: int = RuleId
) -> dryrun.DryRun:
    return dryrun.earn_rule_dry_run(
        actor=actor_of(request),
        rule_id=rule_id,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )


@router.get(
    "/points-tasks", response={200: list[TaskOut], **ERRORS}, summary="Points tasks (积分任务)"
)
def task_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {"code": t.code, "points": t.points, "active": t.active}
        for t in rewards.points_tasks(actor=actor_of(request))
    ]


@router.put(
    "/points-tasks/{code}", response={200: TaskOut, **ERRORS}, summary="Set a points task's reward"
)
def task_set(
    request: HttpRequest, code: TaskCode, payload: TaskIn, idempotency_key: str = IdempotencyKey
) -> dict[str, Any]:
    require_key(idempotency_key)
    task = rewards.points_task_set(
        actor=actor_of(request), code=code, points=payload.points, active=payload.active
    )
    return {"code": task.code, "points": task.points, "active": task.active}


@router.post(
    "/points-tasks/{code}/completions",
    response={201: GrantOut, **ERRORS},
    summary="A member did a task (review, referral, profile): its points, once per member",
)
def task_complete(
    request: HttpRequest,
    code: TaskCode,
    payload: TaskCompleteIn,
    idempotency_key: str = IdempotencyKey,
) -> Status[RewardGrant]:
    require_key(idempotency_key)
    grant = rewards.task_complete(actor=actor_of(request), code=code, member_id=payload.member_id)
    return Status(201, grant)


@router.post(
    "/points-grants",
    response={201: GrantBatchOut, **ERRORS},
    summary="Give points to a segment or a list of member numbers (a background job)",
)
def grant_start(
    request: HttpRequest, payload: GrantBatchIn, idempotency_key: str = IdempotencyKey
) -> Status[dict[str, Any]]:
    require_key(idempotency_key)
    batch = grants.grant_batch_start(
        actor=actor_of(request),
        points=payload.points,
        reason=payload.reason,
        segment_id=payload.segment_id,
        member_codes=payload.member_codes,
    )
    return Status(201, _batch_out(batch))


@router.get(
    "/points-grants/{int:batch_id}",
    response={200: GrantBatchOut, **ERRORS},
    summary="A grant batch and its progress",
)
def grant_get(request: HttpRequest, batch_id: int = BatchId) -> dict[str, Any]:
    require(actor_of(request), Perm.ACTIVITY_VIEW)
    batch = GrantBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise NotFound("Grant batch not found.", code="grant_batch_not_found")
    return _batch_out(batch)


@router.get(
    "/points-days", response={200: list[PointsDayOut], **ERRORS}, summary="Double-points days"
)
def points_day_list(request: HttpRequest) -> list[PointsDay]:
    require(actor_of(request), Perm.ACTIVITY_VIEW)
    return list(PointsDay.objects.all()[:500])


def _day_input(payload: PointsDayIn) -> points_days.PointsDayInput:
    return points_days.PointsDayInput(**payload.dict())


@router.post(
    "/points-days", response={201: PointsDayOut, **ERRORS}, summary="Add a double-points day"
)
def points_day_create(
    request: HttpRequest, payload: PointsDayIn, idempotency_key: str = IdempotencyKey
) -> Status[PointsDay]:
    require_key(idempotency_key)
    row = points_days.points_day_save(actor=actor_of(request), data=_day_input(payload))
    return Status(201, row)


@router.put(
    "/points-days/{int:day_id}",
    response={200: PointsDayOut, **ERRORS},
    summary="Change a double-points day",
)
def points_day_update(
    request: HttpRequest,
    payload: PointsDayIn,
    day_id: int = DayId,
    idempotency_key: str = IdempotencyKey,
) -> PointsDay:
    require_key(idempotency_key)
    return points_days.points_day_save(
        actor=actor_of(request), data=_day_input(payload), day_id=day_id
    )


@router.get(
    "/points-days/{int:day_id}/dry-run",
    response={200: ActivityDryRunOut, **ERRORS},
    summary="The extra points a double-points day would have given on past sales",
)
def points_day_dry_run(
    request: HttpRequest, filters: Query[ActivityDryRunQuery], day_id: int = DayId
) -> dryrun.DryRun:
    return dryrun.points_day_dry_run(
        actor=actor_of(request), day_id=day_id, date_from=filters.date_from, date_to=filters.date_to
    )
