"""Daily check-in (签到): a member checks in once per business date and earns points by
streak through the ledger.

``checkin_record`` decides under the card's locks (member → card → card accounts): the
member's check-in for today (the chain's local date, ``core.clock``) is looked up on the
locked member, so two check-ins at once earn once — the second is refused
(``already_checked_in``), and the unique (member, date) index is the last guard. The points
move from the store's points-issued account to the card's points (a ``checkin`` move, a lot
with the usual expiry).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.cards.locks import card_lock
from huiyuan.cards.services import card_require_usable
from huiyuan.checkin import rules
from huiyuan.checkin.models import Checkin, CheckinPolicy
from huiyuan.core.clock import local_date
from huiyuan.core.errors import Conflict, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.retry import atomic_retry
from huiyuan.events.services import event_emit
from huiyuan.ledger import services as ledger
from huiyuan.ledger.commands import command_run
from huiyuan.ledger.models import Account
from huiyuan.members.models import Member
from huiyuan.points.services import points_expires_at
from huiyuan.stores.scope import ScopeOp, scope_require

MAX_DAY = 366
MAX_POINTS = 100_000


def checkin_policy_update(
    *,
    actor: Actor,
    enabled: bool,
    rewards: list[list[int]],
    cycle_days: int | None,
    idempotency_key: str | None = None,
) -> CheckinPolicy:
    """Set the check-in rewards (``[[day, points], …]``) and cycle."""
    require(actor, Perm.POINTS_CONFIGURE)
    cleaned: dict[int, int] = {}
    for entry in rewards:
        if (
            len(entry) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in entry)
            or not 1 <= entry[0] <= MAX_DAY
            or not 0 <= entry[1] <= MAX_POINTS
        ):
            raise ValidationFailed(
                _("Each reward is a day from 1 to 366 and points from 0 to 100,000."),
                code="invalid_rewards",
                field="rewards",
            )
        if entry[0] in cleaned:
            raise ValidationFailed(
                _("Each day appears once."), code="duplicate_reward_day", field="rewards"
            )
        cleaned[entry[0]] = entry[1]
    if not cleaned or 1 not in cleaned:
        raise ValidationFailed(
            _("The rewards start with day 1."), code="rewards_need_day_one", field="rewards"
        )
    if cycle_days is not None and not (isinstance(cycle_days, int) and 1 <= cycle_days <= MAX_DAY):
        raise ValidationFailed(
            _("The cycle is from 1 to 366 days."), code="invalid_cycle", field="cycle_days"
        )
    table = [[d, cleaned[d]] for d in sorted(cleaned)]

    def perform() -> CheckinPolicy:
        before = CheckinPolicy.current()
        policy, _created = CheckinPolicy.objects.select_for_update().get_or_create(pk=1)
        policy.enabled, policy.rewards, policy.cycle_days = enabled, table, cycle_days
        policy.updated_at = timezone.now()
        policy.save()
        audit_record(
            actor=actor,
            action="checkin.policy_updated",
            subject_type="checkin_policy",
            subject_id=1,
            before={
                "enabled": before.enabled,
                "rewards": before.rewards,
                "cycle_days": before.cycle_days,
            },
            after={"enabled": enabled, "rewards": table, "cycle_days": cycle_days},
        )
        return policy

    if idempotency_key is None:
        return atomic_retry(perform)
    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="checkin_policy",
        payload={"enabled": enabled, "rewards": table, "cycle_days": cycle_days},
        perform=perform,
        load=lambda pk: CheckinPolicy.objects.get(pk=pk),
    )


def checkin_record(*, actor: Actor, card_id: int, idempotency_key: str) -> Checkin:
    """Check the card's member in for today; earn the streak's points."""
    require(actor, Perm.CHECKIN_RECORD)

    def perform() -> Checkin:
        now = timezone.now()
        policy = CheckinPolicy.current()
        if not policy.enabled:
            raise Conflict(_("Check-in is switched off."), code="checkin_disabled")
        lock = card_lock(card_id, touch=now)
        scope_require(actor, ScopeOp.SPEND, home_store_id=lock.card.store_id)
        card_require_usable(lock.card, now=now)
        member = lock.member
        if member is None:
            raise Conflict(
                _("This card has no member: check-in is for members."), code="member_required"
            )
        if member.status != Member.Status.ACTIVE:
            raise Conflict(_("The member is not active."), code="member_not_active")
        if member.earn_frozen:
            raise Conflict(
                _("Earning points is frozen for this member."), code="member_earn_frozen"
            )
        today = local_date(now)
        last = Checkin.objects.filter(member_id=member.pk).order_by("-business_date").first()
        if last is not None and last.business_date >= today:
            raise Conflict(_("The member has already checked in today."), code="already_checked_in")
        streak = rules.next_streak(
            last.business_date if last else None, last.streak if last else 0, today
        )
        points = rules.points_for(streak, policy.rewards, policy.cycle_days)
        store_id = actor.store_id if actor.store_id is not None else lock.card.store_id
        operation = ledger.operation_post(
            actor=actor,
            kind="checkin",
            moves=[
                ledger.Move(
                    kind="checkin",
                    source=ledger.store_account(Account.Kind.STORE_POINTS_ISSUED, store_id),
                    target=lock.points,
                    amount=points,
                    expires_at=points_expires_at(now),
                    lot_store_id=store_id,
                )
            ],
            member_id=member.pk,
            card_id=lock.card.pk,
            store_id=store_id,
            now=now,
            details={"streak": streak, "business_date": today.isoformat()},
            locked=lock.accounts,
        ).operation
        checkin = Checkin.objects.create(
            member_id=member.pk,
            card_id=lock.card.pk,
            business_date=today,
            streak=streak,
            points=points,
            operation_id=operation.pk,
            store_id=store_id,
            created_by=actor.staff,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="checkin.recorded",
            subject_type="checkin",
            subject_id=checkin.pk,
            member_id=member.pk,
            after={"date": today.isoformat(), "streak": streak, "points": points},
            store_id=store_id,
        )
        event_emit(
            "checkin.recorded",
            payload={
                "checkin_id": checkin.pk,
                "card_id": lock.card.pk,
                "operation_id": operation.pk,
                "streak": streak,
                "points": points,
            },
            member_id=member.pk,
            store_id=store_id,
        )
        return checkin

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="checkin",
        payload={"card_id": card_id},
        perform=perform,
        load=lambda pk: Checkin.objects.get(pk=pk),
    )
