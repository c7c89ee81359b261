"""Points: publish earn rules, adjust, expire lots, and value the liability (P1–P4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.cards.locks import card_lock
from huiyuan.cards.models import Card
from huiyuan.cards.services import card_require_usable
from huiyuan.core.bounds import check_business_moment
from huiyuan.core.clock import local_date, local_day_bounds, local_day_start
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.events.services import event_emit
from huiyuan.ledger import services as ledger
from huiyuan.ledger.commands import command_run
from huiyuan.ledger.models import Account, Lot, Operation, Transfer
from huiyuan.members.models import Member
from huiyuan.points.models import EarnRule, PointsPolicy
from huiyuan.points.rules import EarnContext, EarnResult, RuleSpec, compute_earn
from huiyuan.stores.scope import ScopeOp, scope_require

RULE_FIELDS = (
    "name",
    "priority",
    "unit_fen",
    "points_per_unit",
    "rounding",
    "store_ids",
    "tier_codes",
    "categories",
    "excluded_categories",
    "birthday_multiplier_pct",
    "special_days",
    "cap_per_sale",
    "cap_per_day",
)
MAX_ADJUST = 10_000_000


def rule_spec(rule: EarnRule) -> RuleSpec:
    return RuleSpec(
        id=rule.pk,
        code=rule.code,
        version=rule.version,
        name=rule.name,
        priority=rule.priority,
        effective_from=rule.effective_from,
        effective_to=rule.effective_to,
        unit_fen=rule.unit_fen,
        points_per_unit=rule.points_per_unit,
        rounding=rule.rounding,
        store_ids=tuple(rule.store_ids),
        tier_codes=tuple(rule.tier_codes),
        categories=tuple(rule.categories),
        excluded_categories=tuple(rule.excluded_categories),
        birthday_multiplier_pct=rule.birthday_multiplier_pct,
        special_days=tuple(rule.special_days),
        cap_per_sale=rule.cap_per_sale,
        cap_per_day=rule.cap_per_day,
    )


def rules_in_effect(at: dt.datetime) -> list[RuleSpec]:
    rules = EarnRule.objects.filter(is_active=True, effective_from__lte=at).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gt=at)
    )
    return [rule_spec(r) for r in rules]


def earn_rule_publish(
    *, actor: Actor, code: str, effective_from: dt.datetime | None = None, **fields: Any
) -> EarnRule:
    """Publish a rule, or a new version of it, starting now or later.

    A published version never changes its past: a start before now is refused
    (``effective_from_in_past``; "now" is this service's clock, with no tolerance), and the
    previous version only loses its future — it ends where the new one starts.
    """
    require(actor, Perm.POINTS_CONFIGURE)
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown rule field."), code="unknown_rule_field", details={"fields": sorted(unknown)}
        )
    if not code:
        raise ValidationFailed(_("Enter a rule code."), code="rule_code_required")
    if fields.get("unit_fen", 100) <= 0 or fields.get("points_per_unit", 1) < 0:
        raise ValidationFailed(_("The rate must be positive."), code="invalid_rate")
    if fields.get("rounding", "floor") not in EarnRule.Rounding.values:
        raise ValidationFailed(_("Unknown rounding."), code="invalid_rounding")
    # Before any comparison: year 1 or 9999 with an offset overflows when made UTC.
    check_business_moment(effective_from, field="effective_from")
    now = timezone.now()
    start = effective_from or now
    if start < now:
        raise ValidationFailed(
            _("A rule cannot start in the past; choose now or later."),
            code="effective_from_in_past",
            field="effective_from",
        )
    with transaction.atomic():
        previous = (
            EarnRule.objects.select_for_update().filter(code=code).order_by("-version").first()
        )
        if previous is not None:
            if start <= previous.effective_from:
                raise ValidationFailed(
                    _("A new version must start after the current one."),
                    code="invalid_effective_from",
                )
            base = {f: getattr(previous, f) for f in RULE_FIELDS}
            if previous.effective_to is None or previous.effective_to > start:
                previous.effective_to = start
                previous.save(update_fields=["effective_to"])
        else:
            if "name" not in fields:
                raise ValidationFailed(_("Enter a rule name."), code="rule_name_required")
            base = {}
        rule = EarnRule.objects.create(
            code=code,
            version=(previous.version + 1) if previous else 1,
            effective_from=start,
            **{**base, **fields},
        )
        audit_record(
            actor=actor,
            action="earn_rule.published",
            subject_type="earn_rule",
            subject_id=rule.pk,
            after={"code": code, "version": rule.version, **{k: fields[k] for k in fields}},
        )
    return rule


def points_dry_run(*, actor: Actor, context: EarnContext) -> EarnResult:
    """What the rules in effect would give for ``context`` (nothing is written)."""
    require(actor, Perm.POINTS_CONFIGURE)
    check_business_moment(context.at, field="at")
    return compute_earn(rules_in_effect(context.at), context)


def _end_of(day: dt.date, period: str) -> dt.datetime:
    """The end of the local month, quarter or year holding ``day``: the first local moment
    of the next one."""
    if period == "month_end":
        last_month = day.month
    elif period == "quarter_end":
        last_month = ((day.month - 1) // 3 + 1) * 3
    else:
        last_month = 12
    year, month = (day.year + 1, 1) if last_month == 12 else (day.year, last_month + 1)
    return local_day_start(dt.date(year, month, 1))


def points_expires_at(
    earned_at: dt.datetime, policy: PointsPolicy | None = None
) -> dt.datetime | None:
    """When points earned at ``earned_at`` expire under the policy (None: never).

    On local business dates: points earned on local day D are due on D + N days; "after N
    days" keeps them through that day (they expire at the local midnight that ends it); the
    period modes keep them to the end of the local month, quarter or year holding that day.
    """
    policy = policy or PointsPolicy.current()
    if policy.expiry == PointsPolicy.Expiry.NEVER:
        return None
    due = local_date(earned_at) + dt.timedelta(days=policy.expiry_days)
    if policy.expiry == PointsPolicy.Expiry.DAYS:
        return local_day_bounds(due)[1]
    return _end_of(due, policy.expiry)


def points_matures_at(earned_at: dt.datetime, policy: PointsPolicy) -> dt.datetime | None:
    """When points earned on a sale at ``earned_at`` become spendable (see ``maturation``)."""
    from huiyuan.points.maturation import points_matures_at as matures_at

    return matures_at(earned_at, policy)


def points_adjust(
    *, actor: Actor, card_id: int, delta: int, reason: str, idempotency_key: str
) -> Operation:
    """Add (delta > 0) or remove (delta < 0) points by hand, with a reason."""
    require(actor, Perm.POINTS_ADJUST)
    if not isinstance(delta, int) or delta == 0 or abs(delta) > MAX_ADJUST:
        raise ValidationFailed(_("Enter a non-zero whole number of points."), code="invalid_points")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason."), code="reason_required", field="reason")

    def perform() -> Operation:
        lock = card_lock(card_id)
        card = lock.card
        scope_require(actor, ScopeOp.POINTS_ADJUST, home_store_id=card.store_id)
        if card.status not in (Card.Status.ACTIVE, Card.Status.LOST):
            raise Conflict(_("This card is closed."), code="card_closed")
        points = lock.points
        sink = ledger.system_account(Account.Kind.POINTS_ADJUSTMENTS)
        now = timezone.now()
        if delta > 0:
            move = ledger.Move(
                kind="points_adjust",
                source=sink,
                target=points,
                amount=delta,
                expires_at=points_expires_at(now),
                lot_store_id=actor.store_id,
            )
        else:
            move = ledger.Move(kind="points_adjust", source=points, target=sink, amount=-delta)
        result = ledger.operation_post(
            actor=actor,
            kind="points_adjust",
            moves=[move],
            member_id=card.member_id,
            card_id=card.pk,
            store_id=actor.store_id,
            memo=reason,
            now=now,
            details={"delta": delta},
            locked=lock.accounts,
        )
        audit_record(
            actor=actor,
            action="points.adjusted",
            subject_type="card",
            subject_id=card.pk,
            member_id=card.member_id,
            after={"card": card.number, "delta": delta},
            note=reason,
        )
        event_emit(
            "points.adjusted",
            payload={"card_id": card.pk, "operation_id": result.operation.pk, "delta": delta},
            member_id=card.member_id,
            store_id=actor.store_id,
        )
        return result.operation

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="points_adjust",
        payload={"card_id": card_id, "delta": delta, "reason": reason},
        perform=perform,
        load=lambda pk: Operation.objects.get(pk=pk),
    )


def lots_expire_due(*, actor: Actor, now: dt.datetime | None = None) -> int:
    """Sweep every expired lot's remainder (points and bonus) to the expiry accounts.

    Safe to run any number of times: a swept lot has nothing left. Returns lots swept.
    """
    now = now or timezone.now()
    account_ids = list(
        Lot.objects.filter(remaining__gt=0, expires_at__lte=now, account__member_side=True)
        .values_list("account_id", flat=True)
        .distinct()
    )
    swept = 0
    sinks: dict[str, Account] = {
        Account.Kind.POINTS: ledger.system_account(Account.Kind.POINTS_EXPIRED),
        Account.Kind.BONUS: ledger.system_account(Account.Kind.BONUS_EXPIRED),
    }
    for account_id in account_ids:
        card_id = Account.objects.filter(pk=account_id).values_list("card_id", flat=True).first()
        if card_id is None:
            continue
        with transaction.atomic():
            lock = card_lock(card_id)  # the card's lock order; decide on what it holds now
            account = next(a for a in lock.accounts.values() if a.pk == account_id)
            lots = list(
                Lot.objects.filter(account=account, remaining__gt=0, expires_at__lte=now).order_by(
                    "pk"
                )
            )
            if not lots:
                continue
            moves = [
                ledger.Move(
                    kind="expire",
                    source=account,
                    target=sinks[account.kind],
                    amount=lot.remaining,
                    take_lots=[(lot, lot.remaining)],
                    named_lots_only=True,
                )
                for lot in lots
            ]
            card = lock.card
            ledger.operation_post(
                actor=actor,
                kind=f"{account.kind}_expire",
                moves=moves,
                member_id=card.member_id if card else None,
                card_id=account.card_id,
                store_id=None,
                now=now,
                details={"lots": [lot.pk for lot in lots]},
                locked=lock.accounts,
            )
            swept += len(lots)
    return swept


def earn_context_for(
    *,
    card: Card,
    amount_fen: int,
    at: dt.datetime,
    store_id: int | None,
    category: str,
    tier_code: str = "",
    tier_multiplier_pct: int = 100,
    with_earned_today: bool = True,
) -> EarnContext:
    """What the earn rules need to know about a sale. ``with_earned_today=False`` skips the
    query for today's earnings when no rule in effect has a daily cap."""
    member: Member | None = card.member
    is_birthday = False
    if member is not None and member.birthday is not None:
        local = local_date(at)
        if member.birthday_calendar == Member.Calendar.LUNAR and member.lunar_birth_month:
            from huiyuan.core.china import lunar_birthday_in_year

            try:
                is_birthday = (
                    lunar_birthday_in_year(
                        member.lunar_birth_month, member.lunar_birth_day or 1, local.year
                    )
                    == local
                )
            except ValidationFailed:
                is_birthday = False
        else:
            is_birthday = (member.birthday.month, member.birthday.day) == (local.month, local.day)
    return EarnContext(
        amount_fen=amount_fen,
        at=at,
        store_id=store_id,
        category=category,
        tier_code=tier_code,
        tier_multiplier_pct=tier_multiplier_pct,
        is_birthday=is_birthday,
        earned_today=points_earned_today(card=card, at=at) if with_earned_today else 0,
    )


def points_earned_today(*, card: Card, at: dt.datetime) -> int:
    """Points the card's member earned on the local day of ``at``, on any of their cards,
    not counting reversed earnings (one query). A card without a member counts alone."""
    start, end = local_day_bounds(local_date(at))
    earned = Transfer.objects.filter(
        to_account__kind=Account.Kind.POINTS,
        kind="earn",
        created_at__gte=start,
        created_at__lt=end,
        reversed_by__isnull=True,
    )
    if card.member_id is None:
        earned = earned.filter(to_account__card_id=card.pk)
    else:
        member_cards = Card.objects.filter(member_id=card.member_id).values("pk")
        earned = earned.filter(to_account__card_id__in=member_cards)
    return earned.aggregate(s=Sum("amount"))["s"] or 0


def card_for_points(card_id: int) -> Card:
    card = Card.objects.select_related("member", "card_type").filter(pk=card_id).first()
    if card is None:
        raise NotFound(_("Card not found."), code="card_not_found")
    card_require_usable(card)
    return card


POLICY_FIELDS = (
    "points_per_yuan",
    "max_offset_percent",
    "expiry",
    "expiry_days",
    "supplement_days",
    "pending_days",
)


def points_policy_update(*, actor: Actor, **changes: Any) -> PointsPolicy:
    """Change the chain's points policy; points already earned keep their expiry date."""
    require(actor, Perm.POINTS_CONFIGURE)
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown setting."), code="unknown_setting", details={"fields": sorted(unknown)}
        )
    for key in (
        "points_per_yuan",
        "max_offset_percent",
        "expiry_days",
        "supplement_days",
        "pending_days",
    ):
        if key in changes and (not isinstance(changes[key], int) or changes[key] < 0):
            raise ValidationFailed(
                _("Enter a whole number, zero or more."), code="invalid_setting", field=key
            )
    if "points_per_yuan" in changes and not 1 <= changes["points_per_yuan"] <= 100_000:
        raise ValidationFailed(
            _("Points worth ¥1 is 1 to 100,000."),
            code="invalid_points_per_yuan",
            field="points_per_yuan",
        )
    if "max_offset_percent" in changes and changes["max_offset_percent"] > 100:
        raise ValidationFailed(
            _("At most 100 percent of a bill can be paid by points."),
            code="invalid_offset_percent",
            field="max_offset_percent",
        )
    if "expiry" in changes and changes["expiry"] not in PointsPolicy.Expiry.values:
        raise ValidationFailed(_("Unknown expiry mode."), code="invalid_expiry", field="expiry")
    with transaction.atomic():
        policy = PointsPolicy.objects.select_for_update().get(pk=PointsPolicy.current().pk)
        expiry = changes.get("expiry", policy.expiry)
        days = changes.get("expiry_days", policy.expiry_days)
        if expiry != PointsPolicy.Expiry.NEVER and days < 1:
            raise ValidationFailed(
                _("Points that expire need at least one day."),
                code="invalid_expiry_days",
                field="expiry_days",
            )
        before = {k: getattr(policy, k) for k in changes}
        changed = {k: v for k, v in changes.items() if before[k] != v}
        if not changed:
            return policy
        for key, value in changed.items():
            setattr(policy, key, value)
        policy.save(update_fields=list(changed))
        audit_record(
            actor=actor,
            action="points_policy.updated",
            subject_type="points_policy",
            subject_id=policy.pk,
            before={k: before[k] for k in changed},
            after=changed,
        )
    return policy


def points_dry_run_rule(*, actor: Actor, rule_id: int, context: EarnContext) -> EarnResult:
    """What one rule version alone would give for ``context`` (nothing is written)."""
    require(actor, Perm.POINTS_CONFIGURE)
    rule = EarnRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("Unknown earn rule."), code="unknown_rule", field="rule")
    return compute_earn([rule_spec(rule)], context)


def points_revoke(
    *,
    actor: Actor,
    operation_id: int,
    reason: str,
    idempotency_key: str,
    card_id: int | None = None,
) -> Operation:
    """Revoke points granted by hand: take back exactly the lot that grant opened.

    Refused when the grant was already revoked, or when its points have been spent.
    """
    from huiyuan.ledger.errors import InsufficientBalance

    require(actor, Perm.POINTS_ADJUST)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason."), code="reason_required", field="reason")

    def perform() -> Operation:
        grant = Operation.objects.filter(pk=operation_id, kind="points_adjust").first()
        if (
            grant is None
            or grant.card_id is None
            or int(grant.details.get("delta", 0)) <= 0
            or (card_id is not None and grant.card_id != card_id)
        ):
            raise NotFound(_("No points grant with this number."), code="points_grant_not_found")
        lock = card_lock(grant.card_id)
        scope_require(actor, ScopeOp.POINTS_REVOKE, home_store_id=lock.card.store_id)
        try:
            result = ledger.operation_reverse(
                actor=actor,
                operation_id=grant.pk,
                kind="points_revoke",
                memo=reason,
                store_id=actor.store_id,
                locked=lock.accounts,
                exact_lots=True,
            )
        except InsufficientBalance as exc:
            raise Conflict(
                _("These points have already been used; they cannot be revoked."),
                code="points_already_used",
                details=exc.details,
            ) from exc
        audit_record(
            actor=actor,
            action="points.revoked",
            subject_type="card",
            subject_id=grant.card_id,
            member_id=grant.member_id,
            after={"grant": grant.pk, "points": grant.details["delta"]},
            note=reason,
        )
        return result.operation

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="points_revoke",
        payload={"operation_id": operation_id, "reason": reason, "card_id": card_id},
        perform=perform,
        load=lambda pk: Operation.objects.get(pk=pk),
    )
