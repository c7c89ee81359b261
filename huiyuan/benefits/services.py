"""Benefit cards: opening (a sale), renewal (a sale of the same plan), upgrade, refund,
the free uses (a package of the plan's count-card plan), the card in force for pricing.

Lock order: the member row (``member_lock``, or the card lock a sale holds, which takes
the member first) → the member's benefit cards → the free-uses package (``package_lock``).
Everything is decided after the locks; every write is audited and emits an event.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan import pricing
from huiyuan.audit.services import audit_record
from huiyuan.benefits import rules
from huiyuan.benefits.models import BenefitChange, BenefitPlan, MemberBenefit, Term
from huiyuan.cards.locks import member_lock
from huiyuan.catalog.models import Product
from huiyuan.core.clock import local_date
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.retry import RetryTransaction
from huiyuan.events.services import event_emit
from huiyuan.ledger.commands import command_run
from huiyuan.members.models import Member
from huiyuan.packages.models import MemberPackage, PackagePlan
from huiyuan.packages.services import package_lock, package_open
from huiyuan.stores.scope import ScopeOp, scope_require
from huiyuan.wallet.models import PaymentMethod

CODE_DIGITS = 12
MAX_REASON = 200


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _new_code() -> str:
    for _attempt in range(5):
        code = "B" + "".join(str(secrets.randbelow(10)) for _ in range(CODE_DIGITS))
        if not MemberBenefit.objects.filter(code=code).exists():
            return code
    raise RetryTransaction()


def locked_active(member_id: int) -> MemberBenefit | None:
    """The member's active card, locked (the member row must be locked already)."""
    return (
        MemberBenefit.objects.select_for_update(no_key=True, of=("self",))
        .select_related("plan")
        .filter(member_id=member_id, status=MemberBenefit.Status.ACTIVE)
        .first()
    )


def _require_member(member: Member | None) -> Member:
    if member is None:
        raise NotFound(_("Member not found."), code="member_not_found")
    if member.status != Member.Status.ACTIVE:
        raise Conflict(_("The member is not active."), code="member_not_active")
    return member


# ----------------------------------------------------------------------- free uses


def _free_open(actor: Actor, benefit: MemberBenefit, now: dt.datetime) -> None:
    free_plan_id = benefit.terms.get("free_plan_id")
    if not free_plan_id:
        return
    plan = PackagePlan.objects.prefetch_related("items").get(pk=free_plan_id)
    package = package_open(
        actor=actor,
        plan=plan,
        store_id=benefit.store_id,
        member_id=benefit.member_id,
        card_id=benefit.card_id,
        paid_fen=0,
        now=now,
        sale_id=None,
        validity=(benefit.valid_from, benefit.valid_until),
    )
    benefit.package = package
    benefit.save(update_fields=["package"])


def _free_close(actor: Actor, benefit: MemberBenefit, status: str) -> None:
    """Close the card's free-uses package with the card (its unused uses lapse)."""
    if benefit.package_id is None:
        return
    package = package_lock(benefit.package_id)
    if package.status != MemberPackage.Status.ACTIVE:
        return
    package.status = MemberPackage.Status.CANCELLED
    package.closed_at = timezone.now()
    package.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=actor,
        action="package.cancelled",
        subject_type="package",
        subject_id=package.pk,
        member_id=package.member_id,
        before={"status": MemberPackage.Status.ACTIVE},
        after={"status": package.status, "benefit": benefit.pk, "benefit_status": status},
        store_id=package.store_id,
    )
    event_emit(
        "package.cancelled",
        payload={"package_id": package.pk, "sale_id": None, "return_id": None},
        member_id=package.member_id,
        store_id=package.store_id,
    )


def _free_until(actor: Actor, benefit: MemberBenefit, until: dt.date | None) -> None:
    """The free uses last as long as the card: move the package's last day with it."""
    if benefit.package_id is None:
        return
    package = package_lock(benefit.package_id)
    if package.status != MemberPackage.Status.ACTIVE or package.valid_until == until:
        return
    before = package.valid_until
    package.valid_until = until
    package.save(update_fields=["valid_until"])
    audit_record(
        actor=actor,
        action="package.validity_changed",
        subject_type="package",
        subject_id=package.pk,
        member_id=package.member_id,
        before={"valid_until": str(before) if before else None},
        after={"valid_until": str(until) if until else None, "benefit": benefit.pk},
        store_id=package.store_id,
    )


def free_uses_used(benefit: MemberBenefit) -> int:
    if benefit.package_id is None:
        return 0
    from huiyuan.packages.models import PackageUse

    return PackageUse.objects.filter(
        package_id=benefit.package_id, kind=PackageUse.Kind.USE, reversed_by__isnull=True
    ).count()


# ------------------------------------------------------------------ opening, renewal


def benefit_open(
    *,
    actor: Actor,
    plan: BenefitPlan,
    member_id: int,
    card_id: int | None,
    store_id: int,
    paid_fen: int,
    now: dt.datetime,
    sale_id: int | None = None,
    sale_line_id: int | None = None,
    upgraded_from: MemberBenefit | None = None,
) -> MemberBenefit:
    """Open a card of ``plan`` in the caller's transaction (member locked, none active)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a benefit card is opened inside the transaction that pays for it")
    today = local_date(now)
    benefit = MemberBenefit.objects.create(
        code=_new_code(),
        plan=plan,
        name=plan.name,
        term=plan.term,
        rank=plan.rank,
        terms=rules.terms_of(plan),
        member_id=member_id,
        card_id=card_id,
        store_id=store_id,
        sale_id=sale_id,
        sale_line_id=sale_line_id,
        paid_fen=paid_fen,
        valid_from=today,
        valid_until=rules.valid_until(today, plan.term),
        upgraded_from=upgraded_from,
        created_at=now,
    )
    _free_open(actor, benefit, now)
    audit_record(
        actor=actor,
        action="benefit.opened",
        subject_type="benefit",
        subject_id=benefit.pk,
        member_id=member_id,
        after={
            "code": benefit.code,
            "plan": plan.pk,
            "paid": paid_fen,
            "sale": sale_id,
            "until": str(benefit.valid_until) if benefit.valid_until else None,
        },
        store_id=store_id,
    )
    event_emit(
        "benefit.opened",
        payload={
            "benefit_id": benefit.pk,
            "plan_id": plan.pk,
            "sale_id": sale_id,
            "card_id": card_id,
            "paid_fen": paid_fen,
        },
        member_id=member_id,
        store_id=store_id,
    )
    return benefit


def benefit_renew_locked(
    *,
    actor: Actor,
    benefit: MemberBenefit,
    paid_fen: int,
    now: dt.datetime,
    store_id: int,
    sale_id: int | None,
    method: str = "",
) -> BenefitChange:
    """One more term on an active card (locked), in the caller's transaction."""
    if benefit.valid_until is None:
        raise Conflict(_("A lifetime card needs no renewal."), code="benefit_lifetime")
    today = local_date(now)
    before = benefit.valid_until
    after = rules.renewed_until(before, today, benefit.term)
    benefit.valid_until = after
    benefit.paid_fen += paid_fen
    benefit.save(update_fields=["valid_until", "paid_fen"])
    _free_until(actor, benefit, after)
    change = BenefitChange.objects.create(
        benefit=benefit,
        kind=BenefitChange.Kind.RENEW,
        sale_id=sale_id,
        store_id=store_id,
        operator=actor.staff,
        method=method,
        until_before=before,
        until_after=after,
        amount_fen=paid_fen,
        created_at=now,
    )
    audit_record(
        actor=actor,
        action="benefit.renewed",
        subject_type="benefit",
        subject_id=benefit.pk,
        member_id=benefit.member_id,
        before={"until": str(before)},
        after={"until": str(after), "paid": paid_fen, "sale": sale_id, "change": change.pk},
        store_id=store_id,
    )
    event_emit(
        "benefit.renewed",
        payload={
            "benefit_id": benefit.pk,
            "change_id": change.pk,
            "sale_id": sale_id,
            "paid_fen": paid_fen,
        },
        member_id=benefit.member_id,
        store_id=store_id,
    )
    return change


def benefit_close_locked(
    actor: Actor, benefit: MemberBenefit, status: str, now: dt.datetime, **payload: int | None
) -> None:
    """Close a locked card (expired, cancelled by a return…) and its free uses."""
    before = benefit.status
    benefit.status = status
    benefit.closed_at = now
    benefit.save(update_fields=["status", "closed_at"])
    _free_close(actor, benefit, status)
    audit_record(
        actor=actor,
        action="benefit.closed",
        subject_type="benefit",
        subject_id=benefit.pk,
        member_id=benefit.member_id,
        before={"status": before},
        after={"status": status, **payload},
        store_id=benefit.store_id,
    )
    event_emit(
        "benefit.closed",
        payload={"benefit_id": benefit.pk, "plan_id": benefit.plan_id, "status": status},
        member_id=benefit.member_id,
        store_id=benefit.store_id,
    )


def benefit_sell_online(
    *,
    actor: Actor,
    plan_id: int,
    member_id: int,
    card_id: int | None,
    store_id: int,
    amount_fen: int,
    method: str,
    idempotency_key: str,
) -> MemberBenefit:
    """A card paid online (a verified payment of an online order, ``huiyuan.payments``).

    Decided under the member's lock as the counter decides a sale of the plan: the member's
    card of the same plan is renewed by one term, none (or an ended one) opens a new card,
    a card of another plan refuses (``benefit_held``). ``amount_fen`` is what was paid: the
    card's value grows by it. The idempotency key (the order's) books it once.
    """
    require(actor, Perm.SALE_CREATE)
    _check_method(method)
    if not _int(plan_id):
        raise NotFound(_("Plan not found."), code="plan_not_found")
    if not _int(amount_fen) or amount_fen < 0:
        raise ValidationFailed(_("Enter an amount above zero."), code="invalid_amount")

    def perform() -> MemberBenefit:
        now = timezone.now()
        today = local_date(now)
        _require_member(member_lock(member_id))
        plan = BenefitPlan.objects.filter(pk=plan_id).first()
        if plan is None:
            raise NotFound(_("Plan not found."), code="plan_not_found")
        if not plan.active:
            raise Conflict(
                _("%(plan)s is not on sale.") % {"plan": plan.name}, code="plan_not_on_sale"
            )
        held = locked_active(member_id)
        if held is not None and held.valid_until is not None and held.valid_until < today:
            benefit_close_locked(actor, held, MemberBenefit.Status.EXPIRED, now)
            held = None
        if held is not None and held.plan_id != plan.pk:
            raise Conflict(
                _("The member holds %(held)s: upgrade it on the member page instead.")
                % {"held": held.name},
                code="benefit_held",
            )
        if held is not None:
            benefit_renew_locked(
                actor=actor,
                benefit=held,
                paid_fen=amount_fen,
                now=now,
                store_id=store_id,
                sale_id=None,
                method=method,
            )
            return held
        return benefit_open(
            actor=actor,
            plan=plan,
            member_id=member_id,
            card_id=card_id,
            store_id=store_id,
            paid_fen=amount_fen,
            now=now,
        )

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="benefit_online",
        payload={"plan": plan_id, "member": member_id, "amount": amount_fen, "method": method},
        perform=perform,
        load=lambda pk: MemberBenefit.objects.select_related("plan").get(pk=pk),
    )


# -------------------------------------------------------------- upgrade and refund


def _load_change(change_id: int) -> BenefitChange:
    return BenefitChange.objects.select_related("benefit", "target").get(pk=change_id)


def _check_method(method: str) -> None:
    if method not in PaymentMethod.values:
        raise ValidationFailed(_("Unknown payment method."), code="invalid_method", field="method")


def _lock_benefit(benefit_id: int) -> MemberBenefit:
    member_id = (
        MemberBenefit.objects.filter(pk=benefit_id).values_list("member_id", flat=True).first()
    )
    if member_id is None:
        raise NotFound(_("Benefit card not found."), code="benefit_not_found")
    member = member_lock(member_id)
    benefit = (
        MemberBenefit.objects.select_for_update(no_key=True, of=("self",))
        .select_related("plan")
        .filter(pk=benefit_id)
        .first()
    )
    if benefit is None:
        raise NotFound(_("Benefit card not found."), code="benefit_not_found")
    if benefit.member_id != member_id:
        raise RetryTransaction()
    if member is not None:
        benefit.member = member
    return benefit


def _require_in_force(benefit: MemberBenefit, today: dt.date) -> dt.date:
    if benefit.status != MemberBenefit.Status.ACTIVE or (
        benefit.valid_until is not None and benefit.valid_until < today
    ):
        raise Conflict(_("This benefit card is not active."), code="benefit_not_active")
    if benefit.valid_until is None:
        raise Conflict(
            _("A lifetime card has no unused days to credit or refund."), code="benefit_lifetime"
        )
    return benefit.valid_until


def upgrade_quote(
    benefit: MemberBenefit, plan: BenefitPlan, today: dt.date
) -> tuple[rules.UnusedQuote, int, int]:
    """(the old card's unused part, the new plan's price, what is due) — no locks."""
    until = _require_in_force(benefit, today)
    if plan.rank <= benefit.rank or plan.pk == benefit.plan_id:
        raise Conflict(
            _("Upgrade to a plan of a higher rank."),
            code="benefit_not_an_upgrade",
            details={"rank": benefit.rank, "target_rank": plan.rank},
        )
    if not plan.active:
        raise Conflict(_("%(plan)s is not on sale.") % {"plan": plan.name}, code="plan_not_on_sale")
    quote = rules.unused_quote(
        value_fen=benefit.paid_fen,
        valid_from=benefit.valid_from,
        valid_until=until,
        today=today,
        fee_bp=0,
    )
    price = Product.objects.values_list("list_price_fen", flat=True).get(pk=plan.product_id)
    if quote.amount_fen > price:
        raise Conflict(
            _("The credit (%(credit)s fen) exceeds the new card's price: refund the card instead.")
            % {"credit": quote.amount_fen},
            code="upgrade_credit_exceeds_price",
        )
    return quote, price, price - quote.amount_fen


def benefit_upgrade(
    *, actor: Actor, benefit_id: int, plan_id: int, method: str, idempotency_key: str
) -> BenefitChange:
    """Close the card, credit its unused part, open a card of ``plan``; the rest is paid."""
    require(actor, Perm.SALE_CREATE)
    _check_method(method)
    if not _int(benefit_id):
        raise NotFound(_("Benefit card not found."), code="benefit_not_found")
    if not _int(plan_id):
        raise NotFound(_("Plan not found."), code="plan_not_found")

    def perform() -> BenefitChange:
        now = timezone.now()
        today = local_date(now)
        benefit = _lock_benefit(benefit_id)
        scope_require(actor, ScopeOp.SPEND, home_store_id=benefit.store_id)
        _require_member(benefit.member)
        plan = BenefitPlan.objects.filter(pk=plan_id).first()
        if plan is None:
            raise NotFound(_("Plan not found."), code="plan_not_found")
        quote, price, due = upgrade_quote(benefit, plan, today)
        store_id = actor.store_id or benefit.store_id
        benefit_close_locked(actor, benefit, MemberBenefit.Status.UPGRADED, now, plan=plan.pk)
        target = benefit_open(
            actor=actor,
            plan=plan,
            member_id=benefit.member_id,
            card_id=benefit.card_id,
            store_id=store_id,
            paid_fen=quote.amount_fen + due,
            now=now,
            upgraded_from=benefit,
        )
        change = BenefitChange.objects.create(
            benefit=benefit,
            kind=BenefitChange.Kind.UPGRADE,
            target=target,
            store_id=store_id,
            operator=actor.staff,
            method=method,
            until_before=benefit.valid_until,
            until_after=target.valid_until,
            paid_fen=quote.value_fen,
            total_days=quote.total_days,
            unused_days=quote.unused_days,
            gross_fen=quote.gross_fen,
            fee_fen=0,
            amount_fen=quote.amount_fen,
            due_fen=due,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="benefit.upgraded",
            subject_type="benefit",
            subject_id=benefit.pk,
            member_id=benefit.member_id,
            before={"plan": benefit.plan_id},
            after={
                "plan": plan.pk,
                "target": target.pk,
                "days": [quote.unused_days, quote.total_days],
                "credit": quote.amount_fen,
                "price": price,
                "due": due,
                "method": method,
            },
            store_id=store_id,
        )
        event_emit(
            "benefit.upgraded",
            payload={
                "benefit_id": benefit.pk,
                "target_id": target.pk,
                "change_id": change.pk,
                "credit_fen": quote.amount_fen,
                "due_fen": due,
                "method": method,
            },
            member_id=benefit.member_id,
            store_id=store_id,
        )
        return change

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="benefit_upgrade",
        payload={"benefit": benefit_id, "plan": plan_id, "method": method},
        perform=perform,
        load=_load_change,
    )


def refund_preview(benefit: MemberBenefit, today: dt.date) -> rules.UnusedQuote:
    until = _require_in_force(benefit, today)
    return rules.unused_quote(
        value_fen=benefit.paid_fen,
        valid_from=benefit.valid_from,
        valid_until=until,
        today=today,
        fee_bp=int(benefit.terms.get("refund_fee_bp", 0)),
    )


def benefit_refund(
    *, actor: Actor, benefit_id: int, method: str, reason: str, idempotency_key: str
) -> BenefitChange:
    """Pay back the unused part of an active card by the declared rule; the card closes."""
    require(actor, Perm.WALLET_REFUND)
    _check_method(method)
    reason = (reason or "").strip()[:MAX_REASON]
    if not reason:
        raise ValidationFailed(_("Give a reason."), code="reason_required", field="reason")
    if not _int(benefit_id):
        raise NotFound(_("Benefit card not found."), code="benefit_not_found")

    def perform() -> BenefitChange:
        now = timezone.now()
        today = local_date(now)
        benefit = _lock_benefit(benefit_id)
        scope_require(actor, ScopeOp.REFUND, home_store_id=benefit.store_id)
        quote = refund_preview(benefit, today)
        if quote.unused_days <= 0:
            raise Conflict(_("Nothing is left to refund."), code="benefit_nothing_to_refund")
        store_id = actor.store_id or benefit.store_id
        benefit_close_locked(actor, benefit, MemberBenefit.Status.REFUNDED, now)
        change = BenefitChange.objects.create(
            benefit=benefit,
            kind=BenefitChange.Kind.REFUND,
            store_id=store_id,
            operator=actor.staff,
            method=method,
            until_before=benefit.valid_until,
            paid_fen=quote.value_fen,
            total_days=quote.total_days,
            unused_days=quote.unused_days,
            gross_fen=quote.gross_fen,
            fee_fen=quote.fee_fen,
            amount_fen=quote.amount_fen,
            reason=reason,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="benefit.refund_paid",
            subject_type="benefit",
            subject_id=benefit.pk,
            member_id=benefit.member_id,
            after={
                "change": change.pk,
                "days": [quote.unused_days, quote.total_days],
                "gross": quote.gross_fen,
                "fee": quote.fee_fen,
                "amount": quote.amount_fen,
                "method": method,
            },
            note=reason,
            store_id=store_id,
        )
        event_emit(
            "benefit.refunded",
            payload={
                "benefit_id": benefit.pk,
                "change_id": change.pk,
                "amount_fen": quote.amount_fen,
                "fee_fen": quote.fee_fen,
                "method": method,
            },
            member_id=benefit.member_id,
            store_id=store_id,
        )
        return change

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="benefit_refund",
        payload={"benefit": benefit_id, "method": method, "reason": reason},
        perform=perform,
        load=_load_change,
    )


# ------------------------------------------------------------- the card in force


def in_force(member_id: int, today: dt.date) -> MemberBenefit | None:
    """The member's active card valid on ``today`` (no locks)."""
    benefit = (
        MemberBenefit.objects.filter(member_id=member_id, status=MemberBenefit.Status.ACTIVE)
        .order_by("-pk")
        .first()
    )
    if benefit is None or benefit.valid_from > today:
        return None
    if benefit.valid_until is not None and benefit.valid_until < today:
        return None
    return benefit


def benefit_terms(benefit: MemberBenefit) -> pricing.BenefitTerms:
    """The card's privileges as sold, as the pricing engine and the earn rules take them."""
    terms = benefit.terms
    return pricing.BenefitTerms(
        code=str(terms.get("code", benefit.code)),
        name=benefit.name,
        id=benefit.plan_id,
        version=int(terms.get("version", 1)),
        paid_permille=int(terms.get("paid_permille", 1000)),
        by_category={str(k): int(v) for k, v in terms.get("category_discounts", {}).items()},
        member_prices={int(k): int(v) for k, v in terms.get("member_prices", {}).items()},
        points_multiplier_pct=int(terms.get("points_multiplier_pct", 100)),
    )


class BenefitSource:
    """What checkout asks for (``hooks.register_benefit_source``)."""

    def benefit_for(self, *, member_id: int, now: dt.datetime) -> pricing.BenefitTerms | None:
        benefit = in_force(member_id, local_date(now))
        return benefit_terms(benefit) if benefit is not None else None


def term_label(term: str) -> str:
    return str(Term(term).label)


def benefits_move_to_survivor(actor: Actor, survivor: Member, duplicate: Member) -> None:
    """Merge step: the duplicate's cards go to the survivor; if both hold an active card,
    the duplicate's is kept active only when the survivor has none."""
    if MemberBenefit.objects.filter(member=survivor, status=MemberBenefit.Status.ACTIVE).exists():
        for benefit in MemberBenefit.objects.filter(
            member=duplicate, status=MemberBenefit.Status.ACTIVE
        ):
            benefit_close_locked(actor, benefit, MemberBenefit.Status.CANCELLED, timezone.now())
    MemberBenefit.objects.filter(member=duplicate).update(member=survivor)
