"""Sign up for an activity (报名), cancel, check attendance in (签到), the waiting list.

``signup_create`` decides under the locks, in one transaction: the card's locks (member →
card → card accounts), then the activity row. A seat is taken when ``seats_taken`` is
below ``capacity`` on the locked row; otherwise the member joins the waiting list (候补).
A fee is paid from the card's stored value (principal → the store's "sales paid from
balance" account, as a sale's stored-value payment) when signing up, waiting list
included: a waiting member who never gets a seat is refunded in full.

Cancelling frees the seat and promotes the first waiting sign-up (by sign-up order) in the
same transaction; the fee comes back by the activity's declared rule:

- ``full``: a full refund for any cancellation before the start;
- ``hours_before``: a full refund up to ``refund_hours`` before the start, none after;
- ``none``: no refund once seated.

A waiting sign-up cancelled, or released when the activity ends, is always refunded in
full; every sign-up of a cancelled activity too. A refund reverses the fee's ledger
operation (the same amount back to the same account).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.activities.models import Activity, Signup
from huiyuan.activities.services.common import (
    activity_at_store,
    activity_locked,
    for_update,
    run_write,
    signup_locked,
)
from huiyuan.audit.services import audit_record
from huiyuan.cards.locks import CardLock, card_lock, member_lock
from huiyuan.cards.services import card_require_usable
from huiyuan.core.errors import Conflict, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.retry import atomic_retry
from huiyuan.events.services import event_emit
from huiyuan.ledger import services as ledger
from huiyuan.ledger.commands import command_run
from huiyuan.ledger.models import Account
from huiyuan.members.models import Member
from huiyuan.stores.scope import ScopeOp, scope_require

CHANNELS = ("counter", "portal", "api")
ATTEND_OPENS_BEFORE = dt.timedelta(hours=2)


def _signup_load(pk: int) -> Signup:
    return Signup.objects.select_related("activity").get(pk=pk)


def _member_may_sign_up(actor: Actor, lock: CardLock, now: dt.datetime, fee_fen: int) -> Member:
    scope_require(actor, ScopeOp.SPEND, home_store_id=lock.card.store_id)
    card_require_usable(lock.card, now=now)
    member = lock.member
    if member is None:
        raise Conflict(
            _("This card has no member: activities are for members."), code="member_required"
        )
    if member.status != Member.Status.ACTIVE:
        raise Conflict(_("The member is not active."), code="member_not_active")
    if fee_fen and member.spend_frozen:
        raise Conflict(_("Spending is frozen for this member."), code="member_spend_frozen")
    return member


def signup_create(
    *,
    actor: Actor,
    activity_id: int,
    card_id: int,
    channel: str = "counter",
    idempotency_key: str,
) -> Signup:
    """Sign the card's member up: a seat if one is left, else the waiting list."""
    require(actor, Perm.ACTIVITY_SIGNUP)
    if channel not in CHANNELS:
        raise ValidationFailed(_("Unknown channel."), code="invalid_channel", field="channel")

    def perform() -> Signup:
        now = timezone.now()
        lock = card_lock(card_id, touch=now)
        fee_peek = Activity.objects.filter(pk=activity_id).values_list("fee_fen", flat=True).first()
        member = _member_may_sign_up(actor, lock, now, fee_peek or 0)
        activity = activity_locked(activity_id)
        if activity.kind != Activity.Kind.SIGNUP:
            raise Conflict(_("This activity takes no sign-ups."), code="not_a_signup_activity")
        if activity.status != Activity.Status.PUBLISHED:
            raise Conflict(_("This activity is not open for sign-up."), code="activity_not_open")
        if now >= activity.starts_at:
            raise Conflict(_("Sign-up closed when the activity began."), code="signup_closed")
        store_id = actor.store_id if actor.store_id is not None else lock.card.store_id
        activity_at_store(activity, store_id)
        if Signup.objects.filter(
            activity=activity, member_id=member.pk, status__in=Signup.LIVE
        ).exists():
            raise Conflict(
                _("This member has already signed up for this activity."),
                code="already_signed_up",
            )
        seated = activity.seats_taken < activity.capacity
        operation_id = None
        if activity.fee_fen:
            operation_id = ledger.operation_post(
                actor=actor,
                kind="activity_fee",
                moves=[
                    ledger.Move(
                        kind="activity_fee",
                        source=lock.principal,
                        target=ledger.store_account(Account.Kind.STORE_SALES, store_id),
                        amount=activity.fee_fen,
                    )
                ],
                member_id=member.pk,
                card_id=lock.card.pk,
                store_id=store_id,
                memo=activity.name,
                now=now,
                details={"activity_id": activity.pk, "fee_fen": activity.fee_fen},
                locked=lock.accounts,
            ).operation.pk
        signup = Signup.objects.create(
            activity=activity,
            member_id=member.pk,
            card_id=lock.card.pk,
            store_id=store_id,
            status=Signup.Status.SEATED if seated else Signup.Status.WAITLISTED,
            fee_fen=activity.fee_fen,
            fee_operation_id=operation_id,
            channel=channel,
            created_by=actor.staff,
            created_at=now,
            seated_at=now if seated else None,
        )
        if seated:
            activity.seats_taken += 1
            Activity.objects.filter(pk=activity.pk).update(seats_taken=activity.seats_taken)
        audit_record(
            actor=actor,
            action="activity.signed_up",
            subject_type="activity_signup",
            subject_id=signup.pk,
            member_id=member.pk,
            after={
                "activity": activity.code,
                "status": signup.status,
                "fee_fen": signup.fee_fen,
                "seats_taken": activity.seats_taken,
            },
            store_id=store_id,
        )
        event_emit(
            "activity.signed_up",
            payload={
                "signup_id": signup.pk,
                "activity_id": activity.pk,
                "status": signup.status,
                "fee_fen": signup.fee_fen,
            },
            member_id=member.pk,
            store_id=store_id,
        )
        return signup

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="activity_signup",
        payload={"activity_id": activity_id, "card_id": card_id, "channel": channel},
        perform=perform,
        load=_signup_load,
    )


def refund_due(activity: Activity, signup: Signup, now: dt.datetime) -> int:
    """The fee that comes back when ``signup`` is cancelled at ``now``, by the declared rule."""
    if not signup.fee_fen:
        return 0
    if signup.status == Signup.Status.WAITLISTED or activity.status == Activity.Status.CANCELLED:
        return signup.fee_fen
    if signup.status != Signup.Status.SEATED or now >= activity.starts_at:
        return 0
    if activity.refund_rule == Activity.Refund.FULL:
        return signup.fee_fen
    if activity.refund_rule == Activity.Refund.HOURS_BEFORE:
        limit = activity.starts_at - dt.timedelta(hours=activity.refund_hours)
        return signup.fee_fen if now <= limit else 0
    return 0


def seats_promote(*, actor: Actor, activity: Activity, now: dt.datetime) -> list[Signup]:
    """Seat waiting sign-ups in sign-up order while the locked ``activity`` has seats left."""
    promoted: list[Signup] = []
    free = activity.capacity - activity.seats_taken
    if free <= 0 or activity.status != Activity.Status.PUBLISHED or now >= activity.starts_at:
        return promoted
    waiting = for_update(
        Signup.objects.filter(activity=activity, status=Signup.Status.WAITLISTED).order_by("id")
    )[:free]
    for signup in waiting:
        signup.status = Signup.Status.SEATED
        signup.seated_at = now
        signup.save(update_fields=["status", "seated_at"])
        promoted.append(signup)
        audit_record(
            actor=actor,
            action="activity.seat_promoted",
            subject_type="activity_signup",
            subject_id=signup.pk,
            member_id=signup.member_id,
            before={"status": Signup.Status.WAITLISTED},
            after={"status": Signup.Status.SEATED},
        )
        event_emit(
            "activity.seat_promoted",
            payload={"signup_id": signup.pk, "activity_id": activity.pk},
            member_id=signup.member_id,
            store_id=signup.store_id,
        )
    if promoted:
        activity.seats_taken += len(promoted)
        Activity.objects.filter(pk=activity.pk).update(seats_taken=activity.seats_taken)
    return promoted


def _close_locked(
    *,
    actor: Actor,
    signup: Signup,
    activity: Activity,
    lock: CardLock | None,
    to: str,
    reason: str,
    now: dt.datetime,
) -> Signup:
    """Cancel or release the locked sign-up: refund by the rule, free the seat, promote."""
    refund = refund_due(activity, signup, now)
    if refund and signup.fee_operation_id:
        reversal = ledger.operation_reverse(
            actor=actor,
            operation_id=signup.fee_operation_id,
            kind="activity_fee_refund",
            memo=reason,
            now=now,
            locked=lock.accounts if lock else None,
        )
        signup.refund_fen = refund
        signup.refund_operation_id = reversal.operation.pk
    before = signup.status
    held_seat = before in (Signup.Status.SEATED, Signup.Status.ATTENDED)
    signup.status = to
    signup.cancelled_at = now
    signup.cancel_reason = reason[:200]
    signup.save(
        update_fields=[
            "status",
            "cancelled_at",
            "cancel_reason",
            "refund_fen",
            "refund_operation_id",
        ]
    )
    if held_seat:
        activity.seats_taken -= 1
        Activity.objects.filter(pk=activity.pk).update(seats_taken=activity.seats_taken)
        seats_promote(actor=actor, activity=activity, now=now)
    audit_record(
        actor=actor,
        action="activity.signup_cancelled",
        subject_type="activity_signup",
        subject_id=signup.pk,
        member_id=signup.member_id,
        before={"status": before},
        after={"status": to, "refund_fen": signup.refund_fen},
        note=reason,
    )
    event_emit(
        "activity.signup_cancelled",
        payload={
            "signup_id": signup.pk,
            "activity_id": activity.pk,
            "refund_fen": signup.refund_fen,
        },
        member_id=signup.member_id,
        store_id=signup.store_id,
    )
    return signup


def _locks_for(signup_id: int) -> tuple[CardLock | None, Activity, Signup]:
    """The lock order for an existing sign-up: card (or member), activity, sign-up."""
    peek = Signup.objects.filter(pk=signup_id).values("card_id", "member_id", "activity_id").first()
    if peek is None:
        signup_locked(signup_id)  # raises signup_not_found
        raise AssertionError("unreachable")
    lock = card_lock(peek["card_id"]) if peek["card_id"] else None
    if lock is None:
        member_lock(peek["member_id"])
    activity = activity_locked(peek["activity_id"])
    return lock, activity, signup_locked(signup_id)


def signup_cancel(
    *, actor: Actor, signup_id: int, reason: str = "", idempotency_key: str
) -> Signup:
    """Cancel a sign-up before the activity begins; the fee comes back by the rule."""
    require(actor, Perm.ACTIVITY_SIGNUP)
    reason = (reason or "").strip()

    def perform() -> Signup:
        now = timezone.now()
        lock, activity, signup = _locks_for(signup_id)
        if lock is not None:
            scope_require(actor, ScopeOp.SPEND, home_store_id=lock.card.store_id)
        if signup.status not in (Signup.Status.SEATED, Signup.Status.WAITLISTED):
            raise Conflict(
                _("This sign-up can no longer be cancelled."), code="signup_not_cancellable"
            )
        if now >= activity.starts_at or activity.status != Activity.Status.PUBLISHED:
            raise Conflict(
                _("The activity has begun: the sign-up can no longer be cancelled."),
                code="activity_started",
            )
        return _close_locked(
            actor=actor,
            signup=signup,
            activity=activity,
            lock=lock,
            to=Signup.Status.CANCELLED,
            reason=reason,
            now=now,
        )

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="activity_signup_cancel",
        payload={"signup_id": signup_id, "reason": reason},
        perform=perform,
        load=_signup_load,
    )


def signup_release(*, actor: Actor, signup_id: int) -> Signup:
    """Release a sign-up of an ended (waiting list) or cancelled (everyone) activity, with
    the refund the rule gives. A sign-up already closed is left as it is."""

    def perform() -> Signup:
        now = timezone.now()
        lock, activity, signup = _locks_for(signup_id)
        if signup.status not in Signup.LIVE:
            return signup
        if activity.status == Activity.Status.CANCELLED:
            to = Signup.Status.CANCELLED
        elif activity.status == Activity.Status.ENDED and signup.status == Signup.Status.WAITLISTED:
            to = Signup.Status.NOT_SEATED
        else:
            return signup
        reason = str(_("Activity cancelled")) if to == Signup.Status.CANCELLED else ""
        return _close_locked(
            actor=actor, signup=signup, activity=activity, lock=lock, to=to, reason=reason, now=now
        )

    return atomic_retry(perform)


def signup_attend(*, actor: Actor, signup_id: int, idempotency_key: str | None = None) -> Signup:
    """Check a seated member's attendance in at the store (到场签到). Twice is harmless."""
    require(actor, Perm.ACTIVITY_SIGNUP)

    def perform() -> Signup:
        now = timezone.now()
        peek = Signup.objects.filter(pk=signup_id).values_list("activity_id", flat=True).first()
        if peek is None:
            signup_locked(signup_id)
        assert peek is not None
        activity = activity_locked(peek)
        signup = signup_locked(signup_id)
        if signup.status == Signup.Status.ATTENDED:
            return signup
        if signup.status != Signup.Status.SEATED:
            raise Conflict(_("Only a seated sign-up can check in."), code="signup_not_seated")
        if activity.status != Activity.Status.PUBLISHED:
            raise Conflict(_("This activity is not running."), code="activity_not_open")
        if now < activity.starts_at - ATTEND_OPENS_BEFORE:
            raise Conflict(
                _("Attendance check-in opens two hours before the start."),
                code="attendance_not_open",
            )
        if now >= activity.ends_at:
            raise Conflict(_("The activity is over."), code="activity_over")
        activity_at_store(activity, actor.store_id)
        signup.status = Signup.Status.ATTENDED
        signup.attended_at = now
        signup.save(update_fields=["status", "attended_at"])
        audit_record(
            actor=actor,
            action="activity.attended",
            subject_type="activity_signup",
            subject_id=signup.pk,
            member_id=signup.member_id,
            before={"status": Signup.Status.SEATED},
            after={"status": signup.status},
        )
        event_emit(
            "activity.attended",
            payload={"signup_id": signup.pk, "activity_id": activity.pk},
            member_id=signup.member_id,
            store_id=actor.store_id,
        )
        return signup

    return run_write(
        actor=actor,
        key=idempotency_key,
        kind="activity_attend",
        payload={"signup_id": signup_id},
        perform=perform,
        load=_signup_load,
    )
