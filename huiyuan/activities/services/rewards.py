"""Rewards of payment, claim and care activities (消费满送、领券、关怀), given once per
member and occasion, within the activity's budget.

Every reward is decided under the locks in one transaction: the card's locks (member →
card → card accounts) when points move, then the activity row (its budget), then the
coupon template row (its stock) when a coupon is issued. The grant row's unique key
(activity, member, occasion) is the last guard against a second reward.

- Payment activities take part in the sale (``CheckoutParticipant``): a member's sale
  whose paid amount (payable, less what points paid) reaches the threshold earns the
  reward in the sale's own transaction; when a return brings the kept amount below the
  threshold, or the sale is reversed, the reward is taken back in that transaction
  (points reversed; an unused coupon voided). A spent budget or an empty coupon stock
  never refuses the sale: the sale simply earns nothing from the activity.
- Claim activities: the member claims the activity's coupon (once), within the coupon
  template's stock and the activity's budget.
- Care activities: the scheduler gives birthday rewards (solar or lunar, as the member
  keeps it) and holiday rewards once per member and year / holiday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.activities.models import Activity, PointsTask, RewardGrant
from huiyuan.activities.services.common import activity_at_store, activity_locked
from huiyuan.audit.services import audit_record
from huiyuan.cards.locks import CardLock, card_lock
from huiyuan.cards.models import Card
from huiyuan.cards.services import card_require_usable
from huiyuan.core.clock import local_date
from huiyuan.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.retry import atomic_retry
from huiyuan.events.services import event_emit
from huiyuan.ledger import services as ledger
from huiyuan.ledger.commands import command_run
from huiyuan.ledger.models import Account
from huiyuan.members.models import Member
from huiyuan.points.models import PointsPolicy
from huiyuan.points.services import points_expires_at
from huiyuan.stores.scope import ScopeOp, scope_require


def points_cost_fen(points: int) -> int:
    """What points cost the merchant, valued as the policy values them when offsetting."""
    per_yuan = PointsPolicy.current().points_per_yuan or 100
    return points * 100 // per_yuan


def member_card(member_id: int) -> Card | None:
    """The member's usable card that receives rewarded points (the oldest active one)."""
    return (
        Card.objects.filter(member_id=member_id, status=Card.Status.ACTIVE).order_by("id").first()
    )


def points_credit(
    *,
    actor: Actor,
    lock: CardLock,
    points: int,
    kind: str,
    store_id: int,
    now: dt.datetime,
    details: dict[str, object],
) -> int:
    """Credit ``points`` to the locked card from the store's points issued; the operation id."""
    return ledger.operation_post(
        actor=actor,
        kind=kind,
        moves=[
            ledger.Move(
                kind=kind,
                source=ledger.store_account(Account.Kind.STORE_POINTS_ISSUED, store_id),
                target=lock.points,
                amount=points,
                expires_at=points_expires_at(now),
                lot_store_id=store_id,
            )
        ],
        member_id=lock.member.pk if lock.member else None,
        card_id=lock.card.pk,
        store_id=store_id,
        now=now,
        details=details,
        locked=lock.accounts,
    ).operation.pk


def grant_locked(
    *,
    actor: Actor,
    activity: Activity,
    member: Member,
    lock: CardLock | None,
    occasion: str,
    store_id: int | None,
    now: dt.datetime,
    sale_id: int | None = None,
) -> RewardGrant:
    """Give the locked activity's reward to ``member`` once for ``occasion``; raise why not."""
    if RewardGrant.objects.filter(
        activity=activity, member_id=member.pk, occasion=occasion
    ).exists():
        raise Conflict(_("This reward was already given."), code="reward_already_given")
    if activity.budget is not None and activity.budget_used >= activity.budget:
        raise Conflict(_("This activity's budget is spent."), code="activity_budget_exhausted")
    points, coupon_id, cost, operation_id = 0, None, 0, None
    if activity.reward_kind == Activity.Reward.POINTS:
        if lock is None:
            raise Conflict(_("The member has no usable card for points."), code="card_required")
        if member.earn_frozen:
            raise Conflict(
                _("Earning points is frozen for this member."), code="member_earn_frozen"
            )
        points = activity.reward_points
        operation_id = points_credit(
            actor=actor,
            lock=lock,
            points=points,
            kind="activity_reward",
            store_id=store_id if store_id is not None else lock.card.store_id,
            now=now,
            details={"activity_id": activity.pk, "occasion": occasion},
        )
        cost = points_cost_fen(points)
    else:
        from huiyuan.coupons.models import Coupon
        from huiyuan.coupons.services.issue import issue_locked
        from huiyuan.coupons.services.templates import template_locked

        assert activity.coupon_template_id is not None
        template = template_locked(activity.coupon_template_id)
        coupon = issue_locked(
            actor=actor,
            template=template,
            member=member,
            channel=Coupon.Channel.CLAIM
            if activity.kind == Activity.Kind.CLAIM
            else Coupon.Channel.EVENT,
            now=now,
            source=f"activity:{activity.pk}:{occasion}"[:60],
        )
        coupon_id, cost = coupon.pk, template.liability_fen
    grant = RewardGrant.objects.create(
        activity=activity,
        member_id=member.pk,
        card_id=lock.card.pk if lock else None,
        occasion=occasion[:60],
        points=points,
        coupon_id=coupon_id,
        cost_fen=cost,
        sale_id=sale_id,
        operation_id=operation_id,
        store_id=store_id,
        created_at=now,
    )
    activity.budget_used += 1
    Activity.objects.filter(pk=activity.pk).update(budget_used=activity.budget_used)
    audit_record(
        actor=actor,
        action="activity.reward_given",
        subject_type="activity_reward",
        subject_id=grant.pk,
        member_id=member.pk,
        after={
            "activity": activity.code,
            "occasion": occasion,
            "points": points,
            "coupon": coupon_id,
        },
        store_id=store_id,
    )
    event_emit(
        "activity.reward_given",
        payload={
            "grant_id": grant.pk,
            "activity_id": activity.pk,
            "task_id": None,
            "points": points,
            "coupon_id": coupon_id,
        },
        member_id=member.pk,
        store_id=store_id,
    )
    return grant


def grant_reverse_locked(
    *, actor: Actor, grant: RewardGrant, lock: CardLock | None, now: dt.datetime, memo: str
) -> None:
    """Take a reward back (points reversed, an unused coupon voided) and free its budget."""
    if grant.reversed_at is not None:
        return
    if grant.operation_id:
        grant.reverse_operation_id = ledger.operation_reverse(
            actor=actor,
            operation_id=grant.operation_id,
            kind="activity_reward_reverse",
            memo=memo,
            now=now,
            locked=lock.accounts if lock else None,
        ).operation.pk
    if grant.coupon_id:
        from huiyuan.coupons.models import Coupon

        Coupon.objects.filter(pk=grant.coupon_id, status=Coupon.Status.UNUSED).update(
            status=Coupon.Status.VOID
        )
    grant.reversed_at = now
    grant.save(update_fields=["reversed_at", "reverse_operation_id"])
    if grant.activity_id:
        activity = activity_locked(grant.activity_id)
        activity.budget_used = max(0, activity.budget_used - 1)
        Activity.objects.filter(pk=activity.pk).update(budget_used=activity.budget_used)
    audit_record(
        actor=actor,
        action="activity.reward_reversed",
        subject_type="activity_reward",
        subject_id=grant.pk,
        member_id=grant.member_id,
        after={"points": grant.points, "coupon": grant.coupon_id},
        note=memo,
    )
    event_emit(
        "activity.reward_reversed",
        payload={
            "grant_id": grant.pk,
            "activity_id": grant.activity_id,
            "points": grant.points,
            "coupon_id": grant.coupon_id,
        },
        member_id=grant.member_id,
        store_id=actor.store_id,
    )


# ------------------------------------------------------------------ payment activities


def running(kind: str, now: dt.datetime, store_id: int | None) -> list[Activity]:
    """Published activities of ``kind`` running at ``now`` at ``store_id``, by id."""
    rows = Activity.objects.filter(
        kind=kind, status=Activity.Status.PUBLISHED, starts_at__lte=now, ends_at__gt=now
    ).order_by("id")
    return [a for a in rows if store_id is None or not a.store_ids or store_id in a.store_ids]


def sale_paid_fen(payable_fen: int, points_offset_fen: int, returned_fen: int = 0) -> int:
    """The amount a payment activity's threshold is compared with: what the member paid
    (payable after every discount, less the part points paid), less what was returned."""
    return max(0, payable_fen - points_offset_fen - returned_fen)


def sale_rewards_give(
    *, actor: Actor, sale, lock: CardLock | None, now: dt.datetime
) -> list[RewardGrant]:  # type: ignore[no-untyped-def]
    """Inside the sale's transaction: the rewards of the payment activities it qualifies for."""
    if lock is None or lock.member is None or sale.member_id is None:
        return []
    paid = sale_paid_fen(sale.payable_fen, sale.points_offset_fen)
    given: list[RewardGrant] = []
    for candidate in running(Activity.Kind.PAYMENT, now, sale.store_id):
        if paid < candidate.threshold_fen:
            continue
        activity = activity_locked(candidate.pk)
        try:
            with transaction.atomic():
                given.append(
                    grant_locked(
                        actor=actor,
                        activity=activity,
                        member=lock.member,
                        lock=lock,
                        occasion=f"sale:{sale.pk}",
                        store_id=sale.store_id,
                        now=now,
                        sale_id=sale.pk,
                    )
                )
        except DomainError:
            continue  # budget spent, coupon stock empty, earning frozen: no reward, the sale stands
    return given


def sale_rewards_take_back(
    *,
    actor: Actor,
    sale,
    lock: CardLock | None,
    now: dt.datetime,
    whole: bool,  # type: ignore[no-untyped-def]
) -> int:
    """After a return (or a reversal, ``whole``): take back the rewards the sale no longer
    earns. Returns how many were taken back."""
    grants = list(
        RewardGrant.objects.select_related("activity")
        .filter(sale_id=sale.pk, reversed_at__isnull=True, activity__isnull=False)
        .order_by("id")
    )
    if not grants:
        return 0
    kept = sale_paid_fen(sale.payable_fen, sale.points_offset_fen, sale.returned_payable_fen)
    taken = 0
    for grant in grants:
        assert grant.activity is not None
        if whole or kept < grant.activity.threshold_fen:
            grant_reverse_locked(
                actor=actor, grant=grant, lock=lock, now=now, memo=f"sale {sale.pk} returned"
            )
            taken += 1
    return taken


# -------------------------------------------------------------------- claim activities


def activity_claim(
    *, actor: Actor, activity_id: int, card_id: int, idempotency_key: str
) -> RewardGrant:
    """The card's member claims the claim activity's coupon (once per member)."""
    require(actor, Perm.ACTIVITY_SIGNUP)

    def perform() -> RewardGrant:
        now = timezone.now()
        lock = card_lock(card_id, touch=now)
        scope_require(actor, ScopeOp.SPEND, home_store_id=lock.card.store_id)
        card_require_usable(lock.card, now=now)
        member = lock.member
        if member is None:
            raise Conflict(
                _("This card has no member: activities are for members."), code="member_required"
            )
        activity = activity_locked(activity_id)
        if activity.kind != Activity.Kind.CLAIM:
            raise Conflict(_("This activity has nothing to claim."), code="not_a_claim_activity")
        if activity.status != Activity.Status.PUBLISHED or not (
            activity.starts_at <= now < activity.ends_at
        ):
            raise Conflict(_("This activity is not open."), code="activity_not_open")
        store_id = actor.store_id if actor.store_id is not None else lock.card.store_id
        activity_at_store(activity, store_id)
        return grant_locked(
            actor=actor,
            activity=activity,
            member=member,
            lock=lock,
            occasion="claim",
            store_id=store_id,
            now=now,
        )

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="activity_claim",
        payload={"activity_id": activity_id, "card_id": card_id},
        perform=perform,
        load=lambda pk: RewardGrant.objects.get(pk=pk),
    )


# --------------------------------------------------------------------- care activities


def is_birthday(member: Member, day: dt.date) -> bool:
    """Whether ``day`` is the member's birthday this year, solar or lunar as they keep it."""
    if member.birthday is None and not member.lunar_birth_month:
        return False
    if member.birthday_calendar == Member.Calendar.LUNAR and member.lunar_birth_month:
        from huiyuan.core.china import lunar_birthday_in_year

        try:
            return (
                lunar_birthday_in_year(
                    member.lunar_birth_month, member.lunar_birth_day or 1, day.year
                )
                == day
            )
        except ValidationFailed:
            return False
    assert member.birthday is not None
    birthday = member.birthday
    if (birthday.month, birthday.day) == (2, 29) and not _leap(day.year):
        return (day.month, day.day) == (2, 28)
    return (birthday.month, birthday.day) == (day.month, day.day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def care_candidates(activity: Activity, day: dt.date) -> list[int]:
    """Ids of the active members the care activity greets on ``day``."""
    members = Member.objects.filter(status=Member.Status.ACTIVE)
    if activity.occasion == Activity.Occasion.HOLIDAY:
        return (
            list(members.order_by("id").values_list("id", flat=True))
            if day == activity.holiday_date
            else []
        )
    solar = members.filter(birthday__month=day.month, birthday__day=day.day).exclude(
        birthday_calendar=Member.Calendar.LUNAR
    )
    ids = set(solar.values_list("id", flat=True))
    if (day.month, day.day) == (2, 28) and not _leap(day.year):
        ids |= set(
            members.filter(birthday__month=2, birthday__day=29)
            .exclude(birthday_calendar=Member.Calendar.LUNAR)
            .values_list("id", flat=True)
        )
    for member in members.filter(birthday_calendar=Member.Calendar.LUNAR).exclude(
        lunar_birth_month=None
    ):
        if is_birthday(member, day):
            ids.add(member.pk)
    return sorted(ids)


def care_occasion(activity: Activity, day: dt.date) -> str:
    if activity.occasion == Activity.Occasion.HOLIDAY:
        assert activity.holiday_date is not None
        return f"holiday:{activity.holiday_date.isoformat()}"
    return f"birthday:{day.year}"


def care_give(
    *, actor: Actor, activity_id: int, member_id: int, day: dt.date
) -> RewardGrant | None:
    """Give one member the care reward for ``day``'s occasion; None when refused (already
    given, budget spent, no card for points…)."""

    def perform() -> RewardGrant | None:
        now = timezone.now()
        card = member_card(member_id)
        lock = card_lock(card.pk, touch=now) if card is not None else None
        member = (
            lock.member
            if lock is not None
            else Member.objects.select_for_update().get(pk=member_id)
        )
        if member is None or member.status != Member.Status.ACTIVE:
            return None
        activity = activity_locked(activity_id)
        if activity.status != Activity.Status.PUBLISHED:
            return None
        if activity.store_ids and (card is None or card.store_id not in activity.store_ids):
            return None
        try:
            with transaction.atomic():
                return grant_locked(
                    actor=actor,
                    activity=activity,
                    member=member,
                    lock=lock,
                    occasion=care_occasion(activity, day),
                    store_id=card.store_id if card is not None else None,
                    now=now,
                )
        except DomainError:
            return None

    return atomic_retry(perform)


def care_run(*, actor: Actor, day: dt.date | None = None) -> dict[str, int]:
    """Greet today's members of every running care activity (the scheduler's daily job)."""
    now = timezone.now()
    day = day or local_date(now)
    given = skipped = 0
    for activity in running(Activity.Kind.CARE, now, None):
        for member_id in care_candidates(activity, day):
            if care_give(actor=actor, activity_id=activity.pk, member_id=member_id, day=day):
                given += 1
            else:
                skipped += 1
    return {"given": given, "skipped": skipped}


# ------------------------------------------------------------------------- points tasks


def task_points_give(*, actor: Actor, code: str, member_id: int) -> RewardGrant | None:
    """Give the points of task ``code`` to a member once ever; None when the task is off,
    already done, or the member has no usable card."""
    task = PointsTask.objects.filter(code=code, active=True).first()
    if task is None or task.points <= 0:
        return None

    def perform() -> RewardGrant | None:
        now = timezone.now()
        card = member_card(member_id)
        if card is None:
            return None
        lock = card_lock(card.pk, touch=now)
        member = lock.member
        if member is None or member.status != Member.Status.ACTIVE or member.earn_frozen:
            return None
        if RewardGrant.objects.filter(task=task, member_id=member.pk).exists():
            return None
        store_id = lock.card.store_id
        operation_id = points_credit(
            actor=actor,
            lock=lock,
            points=task.points,
            kind="points_task",
            store_id=store_id,
            now=now,
            details={"task": task.code},
        )
        grant = RewardGrant.objects.create(
            task=task,
            member_id=member.pk,
            card_id=lock.card.pk,
            occasion=task.code,
            points=task.points,
            cost_fen=points_cost_fen(task.points),
            operation_id=operation_id,
            store_id=store_id,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="points_task.completed",
            subject_type="activity_reward",
            subject_id=grant.pk,
            member_id=member.pk,
            after={"task": task.code, "points": task.points},
            store_id=store_id,
        )
        event_emit(
            "activity.reward_given",
            payload={
                "grant_id": grant.pk,
                "activity_id": None,
                "task_id": task.pk,
                "points": task.points,
                "coupon_id": None,
            },
            member_id=member.pk,
            store_id=store_id,
        )
        return grant

    return atomic_retry(perform)


def points_task_set(*, actor: Actor, code: str, points: int, active: bool) -> PointsTask:
    """Set a points task's reward (0 or inactive: the task gives nothing)."""
    require(actor, Perm.ACTIVITY_MANAGE)
    if code not in PointsTask.Code.values:
        raise ValidationFailed(_("Unknown task."), code="invalid_task", field="code")
    if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= 1_000_000:
        raise ValidationFailed(
            _("Give the points, from 0 to 1000000."), code="invalid_points", field="points"
        )

    def perform() -> PointsTask:
        now = timezone.now()
        task, _created = PointsTask.objects.select_for_update().get_or_create(
            code=code, defaults={"points": points, "active": active, "updated_at": now}
        )
        before = {"points": task.points, "active": task.active}
        task.points, task.active, task.updated_at = points, bool(active), now
        task.save()
        audit_record(
            actor=actor,
            action="points_task.set",
            subject_type="points_task",
            subject_id=task.pk,
            before=before,
            after={"points": points, "active": bool(active)},
        )
        return task

    return atomic_retry(perform)


def points_tasks(*, actor: Actor) -> Sequence[PointsTask]:
    require(actor, Perm.ACTIVITY_VIEW)
    have = {t.code: t for t in PointsTask.objects.all()}
    now = timezone.now()
    return [
        have.get(code) or PointsTask(code=code, points=0, active=False, updated_at=now)
        for code in PointsTask.Code.values
    ]


def task_complete(*, actor: Actor, code: str, member_id: int) -> RewardGrant:
    """Record that a member did task ``code`` (a review written, a friend referred, the
    profile completed — from the system that knows it); its points once, or why not."""
    require(actor, Perm.ACTIVITY_SIGNUP)
    if code not in PointsTask.Code.values:
        raise ValidationFailed(_("Unknown task."), code="invalid_task", field="code")
    if not Member.objects.filter(pk=member_id).exists():
        raise NotFound(_("Member not found."), code="member_not_found")
    if RewardGrant.objects.filter(task__code=code, member_id=member_id).exists():
        raise Conflict(
            _("This member already earned this task's points."), code="task_already_done"
        )
    grant = task_points_give(actor=actor, code=code, member_id=member_id)
    if grant is None:
        raise Conflict(
            _("This task gives no points now (switched off, no usable card, or earning frozen)."),
            code="task_not_given",
        )
    return grant
