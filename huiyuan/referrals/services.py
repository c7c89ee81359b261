"""Referrals: the code and link, rewards to the referrer (once per referee and occasion),
commission on a referee's paid purchases (held for the return window, reversed by a
return), the policy. See ``rules`` for the arithmetic and docs/referrals.md.

Rewards and commission are written by event subscribers (``subscribers.py``), after the
registration or the sale committed, each in its own transaction; the unique keys
(referee + occasion, sale + level, credit + return) make a second delivery a no-op.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.cards.locks import card_lock, member_lock
from huiyuan.cards.models import Card
from huiyuan.core.clock import local_date
from huiyuan.core.errors import Conflict, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, Role, require
from huiyuan.coupons.models import Coupon, CouponTemplate
from huiyuan.coupons.services.issue import issue_locked
from huiyuan.coupons.services.templates import template_locked
from huiyuan.events.services import event_emit
from huiyuan.ledger import services as ledger
from huiyuan.ledger.commands import command_run
from huiyuan.ledger.models import Account
from huiyuan.members.models import Member
from huiyuan.points.services import points_expires_at
from huiyuan.referrals import rules
from huiyuan.referrals.models import (
    MAX_LEVELS,
    ReferralCommission,
    ReferralPayout,
    ReferralPolicy,
    ReferralReward,
)
from huiyuan.referrals.payouts import owed_rows
from huiyuan.selfservice.joinlink import JoinLink, join_link_make

SYSTEM = Actor(role=Role.OWNER)
MAX_POINTS = 1_000_000
MAX_HOLD_DAYS = 365
PYRAMID_WARNING = _(
    "More than two levels of referral commission may be treated as pyramid selling (传销) "
    "under China's Regulations on Prohibition of Pyramid Selling: check with a lawyer first."
)


# ------------------------------------------------------------------ code and link


def referrer_for_code(code: str) -> Member | None:
    """The active member whose referral code (member number) this is, or None."""
    code = (code or "").strip()
    if not code or len(code) > 20:
        return None
    return Member.objects.filter(code=code, status=Member.Status.ACTIVE).first()


def referral_token(member: Member, store_id: int | None = None) -> str | None:
    """The signed joining token of the member's link (None without a store to join at)."""
    store = store_id or member.home_store_id
    if store is None:
        return None
    return join_link_make(JoinLink(store_id=store, referrer_code=member.code))


def upline(member_id: int, levels: int) -> list[Member]:
    """The referee's referrer (level 1), that member's referrer (level 2)… up to ``levels``
    (never more than three); stops at a loop or an inactive member."""
    chain: list[Member] = []
    seen = {member_id}
    current = Member.objects.filter(pk=member_id).values_list("referrer_id", flat=True).first()
    while current is not None and len(chain) < rules.capped_levels(levels):
        if current in seen:
            break
        member = Member.objects.filter(pk=current).first()
        if member is None or member.status != Member.Status.ACTIVE:
            break
        chain.append(member)
        seen.add(current)
        current = member.referrer_id
    return chain


# ------------------------------------------------------------------------ policy


@dataclass(frozen=True)
class PolicyInput:
    join_points: int = 0
    first_purchase_points: int = 0
    levels: int = 2
    level1_bp: int = 0
    level2_bp: int = 0
    level3_bp: int = 0
    hold_days: int = 7
    join_coupon_template_id: int | None = None
    first_purchase_coupon_template_id: int | None = None


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def policy_warnings(policy: ReferralPolicy) -> list[str]:
    return [str(PYRAMID_WARNING)] if policy.levels > 2 else []


def policy_update(*, actor: Actor, data: PolicyInput) -> ReferralPolicy:
    """Change the referral terms (``points.configure``); more than 3 levels is refused."""
    require(actor, Perm.POINTS_CONFIGURE)
    if not _int(data.levels) or not 0 <= data.levels <= MAX_LEVELS:
        raise ValidationFailed(
            _("Commission reaches at most 3 levels (China's rules on pyramid selling)."),
            code="too_many_levels",
            field="levels",
        )
    for name in ("join_points", "first_purchase_points"):
        value = getattr(data, name)
        if not _int(value) or not 0 <= value <= MAX_POINTS:
            raise ValidationFailed(_("Enter points of zero or more."), code="invalid_points")
    for name in ("level1_bp", "level2_bp", "level3_bp"):
        value = getattr(data, name)
        if not _int(value) or not 0 <= value <= 10_000:
            raise ValidationFailed(
                _("Enter a rate from 0% to 100%."), code="invalid_rate", field=name
            )
    if not _int(data.hold_days) or not 0 <= data.hold_days <= MAX_HOLD_DAYS:
        raise ValidationFailed(
            _("Hold commission 0 to 365 days."), code="invalid_hold_days", field="hold_days"
        )
    current = ReferralPolicy.current()
    for name in ("join_coupon_template_id", "first_purchase_coupon_template_id"):
        value = getattr(data, name)
        if value is None or value == getattr(current, name):
            continue  # none, or kept as it was (even if stopped since: it then gives nothing)
        if (
            not _int(value)
            or not CouponTemplate.objects.filter(
                pk=value, status=CouponTemplate.Status.ACTIVE
            ).exists()
        ):
            raise ValidationFailed(
                _("Choose an active coupon template."), code="unknown_coupon_template", field=name
            )
    with transaction.atomic():
        policy = ReferralPolicy.objects.select_for_update().order_by("pk").first()
        policy = policy or ReferralPolicy()
        before = _policy_state(policy) if policy.pk else None
        for name, value in data.__dict__.items():
            setattr(policy, name, value)
        policy.updated_at = timezone.now()
        policy.save()
        audit_record(
            actor=actor,
            action="referral_policy.updated",
            subject_type="referral_policy",
            subject_id=policy.pk,
            before=before,
            after=_policy_state(policy),
        )
    return policy


def _policy_state(policy: ReferralPolicy) -> dict[str, Any]:
    return {
        "join_points": policy.join_points,
        "first_purchase_points": policy.first_purchase_points,
        "levels": policy.levels,
        "rates": [policy.level1_bp, policy.level2_bp, policy.level3_bp],
        "hold_days": policy.hold_days,
        "coupons": [policy.join_coupon_template_id, policy.first_purchase_coupon_template_id],
    }


# ----------------------------------------------------------------------- rewards


def _reward_card(member_id: int) -> Card | None:
    return (
        Card.objects.filter(member_id=member_id, status=Card.Status.ACTIVE).order_by("id").first()
    )


def _reward_coupon(
    *, template_id: int, referrer: Member, source: str, now: dt.datetime
) -> tuple[Coupon | None, Conflict | None]:
    """One coupon of the template to the referrer, decided under the template's lock (status,
    stock, budget, the member's limit); a refusal is returned, not raised."""
    template = template_locked(template_id)
    try:
        coupon = issue_locked(
            actor=SYSTEM,
            template=template,
            member=referrer,
            channel=Coupon.Channel.REFERRAL,
            now=now,
            source=source,
        )
    except Conflict as refusal:
        return None, refusal
    return coupon, None


NOT_GIVEN = frozenset(
    {
        "referral_already_rewarded",
        "member_not_active",
        "member_earn_frozen",
        "referral_nothing_given",
    }
)


def reward_referrer(
    *, referee_id: int, kind: str, now: dt.datetime, sale_id: int | None = None
) -> ReferralReward | None:
    """Give the referee's referrer the policy's reward for ``kind``, once per referee: points
    to the referrer's card and/or a coupon of the policy's template. A coupon the template
    cannot give (out of stock, over budget, the member's limit, stopped) is recorded as not
    given with the reason; the points are given all the same."""
    policy = ReferralPolicy.current()
    points, template_id = policy.reward_for(kind)
    referee = Member.objects.filter(pk=referee_id).first()
    if not (points or template_id) or referee is None or referee.referrer_id is None:
        return None
    if ReferralReward.objects.filter(referee_id=referee_id, kind=kind).exists():
        return None
    referrer = Member.objects.filter(pk=referee.referrer_id).first()
    if referrer is None or referrer.status != Member.Status.ACTIVE or referrer.earn_frozen:
        return None
    card = _reward_card(referrer.pk) if points else None
    if card is None and not template_id:
        return None

    def perform() -> ReferralReward:
        # Lock order: the referrer (member → card → accounts), then the coupon template.
        lock = card_lock(card.pk) if card is not None else None
        locked_referrer = lock.member if lock is not None else member_lock(referrer.pk)
        if ReferralReward.objects.filter(referee_id=referee_id, kind=kind).exists():
            raise Conflict(_("Already rewarded."), code="referral_already_rewarded")
        if locked_referrer is None or locked_referrer.status != Member.Status.ACTIVE:
            raise Conflict(_("The member is not active."), code="member_not_active")
        if locked_referrer.earn_frozen:
            raise Conflict(_("Earning is frozen for this member."), code="member_earn_frozen")
        given_points, operation_id, store_id = 0, None, None
        if lock is not None and lock.card.status == Card.Status.ACTIVE and points:
            store_id = lock.card.store_id
            operation_id = ledger.operation_post(
                actor=SYSTEM,
                kind="referral_reward",
                moves=[
                    ledger.Move(
                        kind="referral_reward",
                        source=ledger.store_account(Account.Kind.STORE_POINTS_ISSUED, store_id),
                        target=lock.points,
                        amount=points,
                        expires_at=points_expires_at(now),
                        lot_store_id=store_id,
                    )
                ],
                member_id=referrer.pk,
                card_id=lock.card.pk,
                store_id=store_id,
                now=now,
                details={"referee": referee_id, "occasion": kind},
                locked=lock.accounts,
            ).operation.pk
            given_points = points
        if not given_points and not template_id:
            raise Conflict(_("Nothing to give."), code="referral_nothing_given")
        coupon, refusal = None, None
        if template_id:
            coupon, refusal = _reward_coupon(
                template_id=template_id,
                referrer=locked_referrer,
                source=f"referral:{kind}:{referee_id}",
                now=now,
            )
        reward = ReferralReward.objects.create(
            referrer=referrer,
            referee_id=referee_id,
            kind=kind,
            points=given_points,
            card=lock.card if given_points and lock is not None else None,
            operation_id=operation_id,
            coupon_template_id=template_id,
            coupon=coupon,
            coupon_refusal=refusal.code if refusal else "",
            coupon_refusal_reason=str(refusal.message)[:200] if refusal else "",
            sale_id=sale_id,
            created_at=now,
        )
        audit_record(
            actor=SYSTEM,
            action="referral.rewarded",
            subject_type="member",
            subject_id=referrer.pk,
            member_id=referrer.pk,
            after={
                "referee": referee_id,
                "occasion": kind,
                "points": given_points,
                "coupon": coupon.pk if coupon else None,
                "coupon_refusal": refusal.code if refusal else None,
                "reward": reward.pk,
            },
            store_id=store_id,
        )
        event_emit(
            "referral.rewarded",
            payload={
                "reward_id": reward.pk,
                "referee_id": referee_id,
                "kind": kind,
                "points": given_points,
                "card_id": reward.card_id,
                "coupon_id": coupon.pk if coupon else None,
                "coupon_refusal": refusal.code if refusal else None,
            },
            member_id=referrer.pk,
            store_id=store_id,
        )
        return reward

    try:
        return command_run(
            actor=SYSTEM,
            key=f"referral-{kind}-{referee_id}",
            kind="referral_reward",
            payload={"referee": referee_id, "kind": kind},
            perform=perform,
            load=lambda pk: ReferralReward.objects.get(pk=pk),
        )
    except Conflict as exc:
        if exc.code in NOT_GIVEN:
            return None  # given by a concurrent delivery, or no longer due: nothing changes
        raise


# -------------------------------------------------------------------- commission


def commission_on_sale(
    *,
    sale_id: int,
    referee_id: int,
    store_id: int | None,
    paid_principal_fen: int,
    paid_external_fen: int,
    now: dt.datetime,
) -> list[ReferralCommission]:
    """Credit each upline level its commission on the paid part of the sale, held."""
    base = max(0, paid_principal_fen) + max(0, paid_external_fen)
    policy = ReferralPolicy.current()
    rates = policy.rates()
    if base <= 0 or not any(rates):
        return []
    chain = upline(referee_id, len(rates))
    release_on = local_date(now) + dt.timedelta(days=policy.hold_days)
    made: list[ReferralCommission] = []
    with transaction.atomic():
        for level, (beneficiary, rate) in enumerate(zip(chain, rates, strict=False), start=1):
            amount = rules.commission(base, rate)
            if amount <= 0:
                continue
            if ReferralCommission.objects.filter(
                sale_id=sale_id, level=level, reverses__isnull=True
            ).exists():
                continue
            try:
                with transaction.atomic():
                    row = ReferralCommission.objects.create(
                        beneficiary=beneficiary,
                        referee_id=referee_id,
                        level=level,
                        sale_id=sale_id,
                        store_id=store_id,
                        base_fen=base,
                        rate_bp=rate,
                        amount_fen=amount,
                        release_on=release_on,
                        created_at=now,
                    )
            except IntegrityError:
                continue  # credited by a concurrent delivery
            made.append(row)
            _record(row, "referral.commission_held")
    return made


def _record(row: ReferralCommission, name: str) -> None:
    audit_record(
        actor=SYSTEM,
        action=name,
        subject_type="member",
        subject_id=row.beneficiary_id,
        member_id=row.beneficiary_id,
        after={
            "commission": row.pk,
            "sale": row.sale_id,
            "level": row.level,
            "amount": row.amount_fen,
            "return": row.return_id,
        },
        store_id=row.store_id,
    )
    event_emit(
        name,
        payload={
            "commission_id": row.pk,
            "sale_id": row.sale_id,
            "level": row.level,
            "amount_fen": row.amount_fen,
        },
        member_id=row.beneficiary_id,
        store_id=row.store_id,
    )


def commission_on_return(
    *, sale_id: int, return_id: int, refunded_paid_fen: int, now: dt.datetime, whole: bool = False
) -> list[ReferralCommission]:
    """Reverse each credit of the sale in proportion to the paid amount returned (the whole
    sale: what is left). ``return_id`` 0 is a reversal (冲正) of the whole sale."""
    made: list[ReferralCommission] = []
    with transaction.atomic():
        credits = list(
            ReferralCommission.objects.select_for_update()
            .filter(sale_id=sale_id, reverses__isnull=True)
            .order_by("level")
        )
        for credit in credits:
            if credit.reversals.filter(return_id=return_id).exists():
                continue  # this return was handled
            done = credit.reversals.aggregate(amount=Sum("amount_fen"), base=Sum("base_fen"))
            reversed_before = -(done["amount"] or 0)
            returned_before = -(done["base"] or 0)
            returned_total = credit.base_fen if whole else returned_before + refunded_paid_fen
            due = rules.reversal_due(
                credit_fen=credit.amount_fen,
                base_fen=credit.base_fen,
                returned_total_fen=returned_total,
                reversed_before_fen=reversed_before,
            )
            returned_now = min(credit.base_fen, returned_total) - returned_before
            if due <= 0 and returned_now <= 0:
                continue
            row = ReferralCommission.objects.create(
                beneficiary_id=credit.beneficiary_id,
                referee_id=credit.referee_id,
                level=credit.level,
                sale_id=sale_id,
                return_id=return_id,
                store_id=credit.store_id,
                base_fen=-max(0, returned_now),
                rate_bp=credit.rate_bp,
                amount_fen=-due,
                status=ReferralCommission.Status.REVERSED,
                reverses=credit,
                created_at=now,
            )
            made.append(row)
            _record(row, "referral.commission_reversed")
    return made


def commissions_release_run(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Release the credits whose return window has passed (once; under the row lock)."""
    now = now or timezone.now()
    today = local_date(now)
    due = list(
        ReferralCommission.objects.filter(
            status=ReferralCommission.Status.HELD, release_on__lte=today, reverses__isnull=True
        ).values_list("pk", flat=True)
    )
    released = 0
    for pk in due:
        with transaction.atomic():
            row = (
                ReferralCommission.objects.select_for_update()
                .filter(pk=pk, status=ReferralCommission.Status.HELD)
                .first()
            )
            if row is None:
                continue
            row.status = ReferralCommission.Status.RELEASED
            row.released_at = now
            row.save(update_fields=["status", "released_at"])
            _record(row, "referral.commission_released")
            released += 1
    return {"released": released}


def member_summary(member: Member) -> dict[str, Any]:
    """A member's referral figures: referees, points earned, commission by status."""
    rows = ReferralCommission.objects.filter(beneficiary=member)
    held = (
        rows.filter(reverses__isnull=True, status=ReferralCommission.Status.HELD).aggregate(
            s=Sum("amount_fen")
        )["s"]
        or 0
    )
    released = (
        rows.filter(reverses__isnull=True, status=ReferralCommission.Status.RELEASED).aggregate(
            s=Sum("amount_fen")
        )["s"]
        or 0
    )
    reversed_total = -(rows.filter(reverses__isnull=False).aggregate(s=Sum("amount_fen"))["s"] or 0)
    return {
        "code": member.code,
        "referees": Member.objects.filter(referrer=member).count(),
        "points": ReferralReward.objects.filter(referrer=member).aggregate(s=Sum("points"))["s"]
        or 0,
        "held_fen": held,
        "released_fen": released,
        "reversed_fen": reversed_total,
        "net_fen": held + released - reversed_total,
        "paid_fen": ReferralPayout.objects.filter(beneficiary=member).aggregate(
            s=Sum("amount_fen")
        )["s"]
        or 0,
        "owed_fen": owed_rows().filter(beneficiary=member).aggregate(s=Sum("amount_fen"))["s"] or 0,
    }
