"""Tier movement (T2): automatic upgrade, period-end downgrade, manual moves."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.clock import local_date
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.retry import atomic_retry
from huiyuan.events.services import event_emit
from huiyuan.members.models import Member
from huiyuan.stores.scope import ScopeOp, scope_require
from huiyuan.tiers import versions
from huiyuan.tiers.models import MemberTier, Tier, TierChange, TierPolicy


def tier_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    level: int,
    basis: str = Tier.Basis.SPEND,
    threshold: int = 0,
    retention: int = 0,
    window_days: int = 365,
    discount_permille: int = 1000,
    points_multiplier_pct: int = 100,
    privileges: str = "",
    category_discounts: dict[str, int] | None = None,
) -> Tier:
    require(actor, Perm.TIER_CONFIGURE)
    code, name = (code or "").strip(), (name or "").strip()
    category_discounts = _terms_check(
        basis=basis,
        threshold=threshold,
        retention=retention,
        window_days=window_days,
        discount_permille=discount_permille,
        points_multiplier_pct=points_multiplier_pct,
        category_discounts=category_discounts,
    )
    _name_check(name)
    _free_check(code=code, level=level)
    try:
        with transaction.atomic():
            tier = Tier.objects.create(
                code=code,
                name=name,
                level=level,
                basis=basis,
                threshold=threshold,
                retention=retention,
                window_days=window_days,
                discount_permille=discount_permille,
                points_multiplier_pct=points_multiplier_pct,
                privileges=privileges,
                category_discounts=category_discounts,
            )
            audit_record(
                actor=actor,
                action="tier.created",
                subject_type="tier",
                subject_id=tier.pk,
                after={
                    "code": code,
                    "name": name,
                    "level": level,
                    "threshold": threshold,
                    "discount": discount_permille,
                    "category_discounts": category_discounts,
                },
            )
    except IntegrityError as exc:  # the same code or level, created meanwhile
        _free_check(code=code, level=level)
        raise exc
    return tier


def _free_check(*, code: str, level: int) -> None:
    """Refuse a code or level another tier already has."""
    if Tier.objects.filter(code=code).exists():
        raise Conflict(
            _("Another tier has the code %(code)s.") % {"code": code},
            code="tier_code_taken",
            field="code",
        )
    if Tier.objects.filter(level=level).exists():
        raise Conflict(
            _("Another tier is at level %(level)s.") % {"level": level},
            code="tier_level_taken",
            field="level",
        )


def _name_check(name: str) -> None:
    if not name or len(name) > 30:
        raise ValidationFailed(
            _("Enter a tier name of at most 30 characters."), code="invalid_name", field="name"
        )


def _terms_check(
    *,
    basis: str,
    threshold: int,
    retention: int,
    window_days: int,
    discount_permille: int,
    points_multiplier_pct: int,
    category_discounts: dict[str, int] | None,
) -> dict[str, int]:
    """Refuse terms a tier cannot have (the same rules for creating and editing)."""
    category_discounts = dict(category_discounts or {})
    for category, permille in category_discounts.items():
        if (
            not isinstance(category, str)
            or not category
            or not isinstance(permille, int)
            or isinstance(permille, bool)
            or not 1 <= permille <= 1000
        ):
            raise ValidationFailed(
                _("The price paid is 1‰ to 1000‰."),
                code="invalid_discount",
                details={"category": str(category)},
            )
    if basis not in Tier.Basis.values:
        raise ValidationFailed(_("Unknown threshold basis."), code="invalid_basis")
    if not 1 <= discount_permille <= 1000:
        raise ValidationFailed(_("The price paid is 1‰ to 1000‰."), code="invalid_discount")
    if threshold < 0 or retention < 0 or window_days <= 0 or points_multiplier_pct <= 0:
        raise ValidationFailed(
            _("Thresholds and window must be positive."), code="invalid_threshold"
        )
    return category_discounts


def tier_update(
    *,
    actor: Actor,
    tier_id: int,
    name: str,
    privileges: str,
    basis: str,
    threshold: int,
    retention: int,
    window_days: int,
    discount_permille: int,
    points_multiplier_pct: int,
    category_discounts: dict[str, int] | None = None,
    effective_from: dt.date | None = None,
) -> Tier:
    """Edit a tier. Its name and privileges change now; its terms (threshold, retention,
    window, discount, points multiplier) from ``effective_from`` (today's business date when
    not given; never a past date): sales and evaluations of earlier dates keep the terms they
    had (``tiers.versions``). The audit row holds what changed, before and after."""
    require(actor, Perm.TIER_CONFIGURE)
    name = (name or "").strip()
    _name_check(name)
    terms = {
        "basis": basis,
        "threshold": threshold,
        "retention": retention,
        "window_days": window_days,
        "discount_permille": discount_permille,
        "points_multiplier_pct": points_multiplier_pct,
        "category_discounts": _terms_check(
            basis=basis,
            threshold=threshold,
            retention=retention,
            window_days=window_days,
            discount_permille=discount_permille,
            points_multiplier_pct=points_multiplier_pct,
            category_discounts=category_discounts,
        ),
    }
    now = timezone.now()
    today = local_date(now)
    effective_from = effective_from or today
    if effective_from < today:
        raise ValidationFailed(
            _("New terms apply from today or a later date, never from a past date."),
            code="effective_date_past",
            field="effective_from",
        )
    with transaction.atomic():
        tier = Tier.objects.select_for_update().filter(pk=tier_id).first()
        if tier is None:
            raise NotFound(_("Unknown tier."), code="unknown_tier")
        in_force = versions.terms_of(versions.tier_terms_apply(_copy(tier), effective_from))
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for field, value in (("name", name), ("privileges", (privileges or "").strip())):
            if getattr(tier, field) != value:
                before[field], after[field] = getattr(tier, field), value
                setattr(tier, field, value)
        changed_terms = {k: v for k, v in terms.items() if in_force[k] != v}
        if changed_terms:
            before.update({k: in_force[k] for k in changed_terms})
            after.update(changed_terms)
            after["effective_from"] = effective_from.isoformat()
            tier.versions = versions.versions_with(
                tier,
                effective_from=effective_from,
                terms=terms,
                recorded_at=now,
                recorded_by=actor.staff.pk if actor.staff else None,
            )
            if effective_from <= today:
                for term, term_value in terms.items():
                    setattr(tier, term, term_value)
        if not after:
            return tier
        tier.save()
        audit_record(
            actor=actor,
            action="tier.updated",
            subject_type="tier",
            subject_id=tier.pk,
            before=before,
            after=after,
        )
    return versions.tier_terms_apply(tier, today)


def _copy(tier: Tier) -> Tier:
    """An unsaved copy to resolve a version on without touching ``tier``."""
    copy = Tier(**{f.attname: getattr(tier, f.attname) for f in Tier._meta.concrete_fields})
    return copy


def window_value(member_id: int, tier: Tier, now: dt.datetime) -> int:
    """The member's value on the tier's basis over its rolling window, from completed sales."""
    return window_values(member_id, [tier], now)[tier.pk]


def window_values(member_id: int, tiers: list[Tier], now: dt.datetime) -> dict[int, int]:
    """Each tier's window value for the member, all in one query."""
    from huiyuan.checkout.models import Sale

    if not tiers:
        return {}
    aggregates = {}
    for tier in tiers:
        since = now - dt.timedelta(days=tier.window_days)
        # A sale counts less what returns (退货) took back of it.
        counted = (
            F("points_earned") - F("returned_points_earned")
            if tier.basis == Tier.Basis.POINTS
            else F("payable_fen") - F("returned_payable_fen")
        )
        aggregates[f"t{tier.pk}"] = Sum(counted, filter=Q(created_at__gte=since))
    oldest = now - dt.timedelta(days=max(t.window_days for t in tiers))
    row = Sale.objects.filter(
        member_id=member_id, status=Sale.Status.COMPLETED, created_at__gte=oldest
    ).aggregate(**aggregates)
    values = {}
    for tier in tiers:
        value = row[f"t{tier.pk}"] or 0
        values[tier.pk] = value // 100 if tier.basis == Tier.Basis.GROWTH else value
    return values


def tiers_ordered(now: dt.datetime | None = None) -> list[Tier]:
    """Every tier, highest level first, with the terms in force on the business date of
    ``now`` (today by default)."""
    tiers = list(Tier.objects.order_by("-level"))
    versions.tiers_terms_apply(tiers, local_date(now or timezone.now()))
    return tiers


def current_tier(member: Member, *, on: dt.date | None = None) -> Tier | None:
    """The member's tier with its terms in force on ``on`` (today's business date)."""
    state = MemberTier.objects.select_related("tier").filter(member=member).first()
    tier = state.tier if state is not None else Tier.objects.order_by("level").first()
    if tier is None:
        return None
    return versions.tier_terms_apply(tier, on or local_date(timezone.now()))


def tier_of(
    state: MemberTier | None, tiers: list[Tier], *, on: dt.date | None = None
) -> Tier | None:
    """The tier a (locked) tier state stands for; the lowest tier when there is none — with
    its terms in force on ``on`` (today's business date)."""
    tier = state.tier if state is not None else (tiers[-1] if tiers else None)
    if tier is None:
        return None
    return versions.tier_terms_apply(tier, on or local_date(timezone.now()))


def _set_tier(
    *,
    actor: Actor | None,
    member: Member,
    tier: Tier,
    kind: str,
    reason: str,
    now: dt.datetime,
    protected_until: dt.date | None = None,
) -> None:
    state = MemberTier.objects.select_for_update().filter(member=member).first()
    old = state.tier if state else None
    if state is None:
        MemberTier.objects.create(
            member=member, tier=tier, since=now, protected_until=protected_until
        )
    else:
        state.tier, state.since, state.protected_until = tier, now, protected_until
        state.save()
    TierChange.objects.create(
        member=member,
        from_tier=old,
        to_tier=tier,
        kind=kind,
        reason=reason[:200],
        operator=actor.staff if actor else None,
        created_at=now,
    )
    if actor is not None:
        audit_record(
            actor=actor,
            action=f"tier.{kind}",
            subject_type="member",
            subject_id=member.pk,
            member_id=member.pk,
            before={"tier": old.code if old else None},
            after={"tier": tier.code},
            note=reason,
        )
    event_emit(
        "tier.changed",
        payload={"from_tier_id": old.pk if old else None, "to_tier_id": tier.pk, "kind": kind},
        member_id=member.pk,
        store_id=actor.store_id if actor else None,
    )


def tier_upgrade_if_due(
    *,
    actor: Actor,
    member: Member,
    now: dt.datetime | None = None,
    tiers: list[Tier] | None = None,
    state: MemberTier | None = None,
) -> Tier | None:
    """Upgrade the moment a higher tier's threshold is crossed. Call inside the sale's
    transaction, after the sale is written, with the member (and its tier state) locked.
    Returns the new tier, if any."""
    now = now or timezone.now()
    day = local_date(now)
    if tiers is None:
        tiers = tiers_ordered(now)
        current = current_tier(member, on=day)
    else:
        # From a sale, with the tier state it locked (None: the member has the lowest).
        versions.tiers_terms_apply(tiers, day)
        current = tier_of(state, tiers, on=day)
    if not tiers:
        return None
    higher = [t for t in tiers if current is None or t.level > current.level]
    if not higher:
        return None
    values = window_values(member.pk, higher, now)
    for tier in higher:  # highest first
        if values[tier.pk] >= tier.threshold:
            _set_tier(
                actor=actor,
                member=member,
                tier=tier,
                kind="upgrade",
                reason=f"{tier.basis} ≥ {tier.threshold}",
                now=now,
            )
            return tier
    return None


def tier_reevaluate_after_reversal(
    *, actor: Actor, member: Member, since: dt.datetime, now: dt.datetime | None = None
) -> Tier | None:
    """Undo an automatic upgrade that a reversed sale (made at ``since``) had earned.

    If the member's tier came from an upgrade at or after ``since`` and its threshold is no
    longer met, the member goes back to the highest tier still earned — never below the
    tier held before that upgrade. A manual move (protected or not) is left alone, and so
    is any tier that other sales still earn. Call under the member's lock.
    """
    now = now or timezone.now()
    last = (
        TierChange.objects.select_related("from_tier", "to_tier")
        .filter(member=member)
        .order_by("-created_at", "-pk")
        .first()
    )
    if last is None or last.kind != "upgrade" or last.created_at < since:
        return None
    state = MemberTier.objects.select_for_update().select_related("tier").filter(member=member)
    current = state.first()
    if current is None or current.tier_id != last.to_tier_id:
        return None
    floor = last.from_tier
    candidates = [
        t
        for t in tiers_ordered(now)
        if t.level <= current.tier.level and (floor is None or t.level >= floor.level)
    ]
    values = window_values(member.pk, candidates, now)
    fallback = floor or (candidates[-1] if candidates else None)
    target = next((t for t in candidates if values[t.pk] >= t.threshold), fallback)
    if target is None or target.pk == current.tier_id:
        return None
    _set_tier(
        actor=actor,
        member=member,
        tier=target,
        kind="reversal",
        reason="sale reversed: upgrade no longer earned",
        now=now,
    )
    return target


def tier_move(
    *,
    actor: Actor,
    member_id: int,
    tier_id: int,
    reason: str,
    protected_until: dt.date | None = None,
) -> Tier:
    """A manual move, optionally protected from downgrade until a date."""
    require(actor, Perm.TIER_MOVE)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason."), code="reason_required", field="reason")
    tier = Tier.objects.filter(pk=tier_id).first()
    if tier is None:
        raise NotFound(_("Unknown tier."), code="unknown_tier")
    with transaction.atomic():
        member = Member.objects.select_for_update().filter(pk=member_id).first()
        if member is None:
            raise NotFound(_("Member not found."), code="member_not_found")
        scope_require(actor, ScopeOp.TIER_MOVE, home_store_id=member.home_store_id)
        _set_tier(
            actor=actor,
            member=member,
            tier=tier,
            kind="manual",
            reason=reason,
            now=timezone.now(),
            protected_until=protected_until,
        )
    return tier


PERIOD_SCAN_CHUNK = 500


def tiers_evaluate_period(*, actor: Actor, now: dt.datetime | None = None) -> dict[str, int]:
    """Period-end run: downgrade members under their tier's retention bar (unless protected).

    The scan only proposes members (above the lowest tier, not protected today), in id
    order, a chunk at a time; each one is then decided by ``tier_downgrade_if_due`` in its
    own short transaction under that member's lock. A sale or a manual move that lands
    between the scan and the member's step is therefore seen, never overwritten.
    Idempotent: a member already at the tier their value supports is left alone."""
    now = now or timezone.now()
    tiers = tiers_ordered(now)
    downgraded = 0
    if not tiers:
        return {"downgraded": 0}
    candidates = (
        MemberTier.objects.exclude(tier=tiers[-1])
        .exclude(protected_until__gte=timezone.localtime(now).date())
        .order_by("member_id")
        .values_list("member_id", flat=True)
    )
    after = 0
    while chunk := list(candidates.filter(member_id__gt=after)[:PERIOD_SCAN_CHUNK]):
        for member_id in chunk:
            if tier_downgrade_if_due(actor=actor, member_id=member_id, now=now, tiers=tiers):
                downgraded += 1
        after = chunk[-1]
    return {"downgraded": downgraded}


def tier_downgrade_if_due(
    *, actor: Actor, member_id: int, now: dt.datetime, tiers: list[Tier]
) -> Tier | None:
    """One member's period-end step, decided under the member's lock (ADR 0002).

    In one short transaction (retried on deadlock or a busy database): lock the member row,
    then its tier state; re-read the tier, its protection and the window values; move down
    to the highest tier whose retention bar is still met (the lowest otherwise). Returns the
    new tier, or None when the member keeps theirs (or has no tier state any more)."""
    lowest = tiers[-1]
    today = local_date(now)
    versions.tiers_terms_apply(tiers, today)

    def step() -> Tier | None:
        member = Member.objects.select_for_update(no_key=True).filter(pk=member_id).first()
        state = (
            MemberTier.objects.select_for_update(no_key=True, of=("self",))
            .select_related("tier")
            .filter(member_id=member_id)
            .first()
        )
        if member is None or state is None or state.tier_id == lowest.pk:
            return None
        if state.protected_until and state.protected_until >= today:
            return None
        held = versions.tier_terms_apply(state.tier, today)
        lower = [t for t in tiers if t.level < held.level]
        values = window_values(member_id, [held, *lower], now)
        if values[held.pk] >= held.retention:
            return None
        target = next((t for t in lower if values[t.pk] >= t.retention), lowest)
        _set_tier(
            actor=actor,
            member=member,
            tier=target,
            kind="downgrade",
            reason=f"{held.basis} under retention {held.retention}",
            now=now,
        )
        return target

    return atomic_retry(step)


def tiers_evaluate_run(*, actor: Actor, now: dt.datetime | None = None) -> dict[str, int]:
    """Run the period-end evaluation now, by hand (head office), and record that it ran."""
    require(actor, Perm.TIER_CONFIGURE)
    result = tiers_evaluate_period(actor=actor, now=now)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="tier.evaluation_run",
            subject_type="tier",
            subject_id="period",
            after=dict(result),
        )
    return result


def tier_policy_update(
    *, actor: Actor, evaluation_period: str, inactive_termination_days: int | None
) -> TierPolicy:
    """Set when tiers are evaluated and after how many inactive days members end (None: never)."""
    require(actor, Perm.TIER_CONFIGURE)
    if evaluation_period not in TierPolicy.Period.values:
        raise ValidationFailed(_("Unknown evaluation period."), code="invalid_period")
    if inactive_termination_days is not None and not 30 <= inactive_termination_days <= 3650:
        raise ValidationFailed(
            _("Inactivity is 30 to 3,650 days, or empty for never."), code="invalid_inactive_days"
        )
    with transaction.atomic():
        policy = TierPolicy.objects.select_for_update().get(pk=TierPolicy.current().pk)
        before = {
            "evaluation_period": policy.evaluation_period,
            "inactive_termination_days": policy.inactive_termination_days,
        }
        policy.evaluation_period = evaluation_period
        policy.inactive_termination_days = inactive_termination_days
        policy.save()
        audit_record(
            actor=actor,
            action="tier_policy.updated",
            subject_type="tier_policy",
            subject_id=policy.pk,
            before=before,
            after={
                "evaluation_period": evaluation_period,
                "inactive_termination_days": inactive_termination_days,
            },
        )
    return policy


def default_card_type_set(*, actor: Actor, card_type_id: int | None) -> TierPolicy:
    """Choose the card type preselected when a card is issued (None: none preselected)."""
    from huiyuan.cards.models import CardType

    require(actor, Perm.CARD_CONFIGURE)
    card_type = None
    if card_type_id is not None:
        card_type = CardType.objects.filter(pk=card_type_id).first()
        if card_type is None:
            raise NotFound(_("Unknown card type."), code="unknown_card_type", field="card_type_id")
        if not card_type.is_active:
            raise ValidationFailed(
                _("This card type is no longer issued."),
                code="card_type_inactive",
                field="card_type_id",
            )
    with transaction.atomic():
        policy = TierPolicy.objects.select_for_update().get(pk=TierPolicy.current().pk)
        if policy.default_card_type_id == card_type_id:
            return policy
        before = {"default_card_type": policy.default_card_type_id}
        policy.default_card_type = card_type
        policy.save(update_fields=["default_card_type"])
        audit_record(
            actor=actor,
            action="card_type.default_set",
            subject_type="card_type",
            subject_id=card_type_id or "none",
            before=before,
            after={"default_card_type": card_type_id},
        )
    return policy
