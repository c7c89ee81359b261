"""Reversing a whole sale, and supplementary points (补积分) for a walk-in sale (S2, P3).

A reversal undoes the sale's one ledger operation leg for leg: every lot gets back exactly
what was taken from it. It is for a sale nothing was returned from yet; after a partial
return the rest goes back line by line (``sale_return``).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan import pricing
from huiyuan.audit.services import audit_record
from huiyuan.cards.locks import card_lock
from huiyuan.cards.models import Card
from huiyuan.cards.services import card_require_usable
from huiyuan.checkout import hooks
from huiyuan.checkout.models import Sale, SaleLine
from huiyuan.checkout.services.common import sale_load
from huiyuan.checkout.services.returns import ManagerAuthorisation, manager_authoriser
from huiyuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.retry import RetryTransaction
from huiyuan.events.services import event_emit
from huiyuan.ledger import services as ledger
from huiyuan.ledger.commands import command_run
from huiyuan.ledger.errors import InsufficientBalance
from huiyuan.ledger.models import Account
from huiyuan.members.models import Member
from huiyuan.points import services as points_services
from huiyuan.points.models import PointsPolicy
from huiyuan.points.rules import compute_earn
from huiyuan.stores.scope import ScopeOp, scope_allows, scope_require
from huiyuan.tiers import services as tier_services


def sale_reverse(
    *,
    actor: Actor,
    sale_id: int,
    reason: str,
    idempotency_key: str,
    authorised_by: ManagerAuthorisation | None = None,
) -> Sale:
    """Give back exactly what the sale took and take back the points it gave. Once.

    Under the card's lock. A tier upgrade the sale earned is undone when no longer earned.
    A reversal onto a cancelled card is allowed: the stored value it gives back can then be
    refunded (``wallet_refund`` accepts cancelled cards) — money is never stranded.
    A cashier without ``sale.reverse`` reverses with a manager's authorisation entered at
    the counter (``authorised_by``), as for a return; the audit names both. Without one,
    the permission is required as before (``permission_denied``).
    """
    if authorised_by is None:
        require(actor, Perm.SALE_REVERSE)
        authoriser = None
    else:
        authoriser = manager_authoriser(actor, authorised_by, reversal=True)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason."), code="reason_required", field="reason")

    def perform() -> Sale:
        peek = Sale.objects.filter(pk=sale_id).values_list("card_id", flat=True).first()
        if peek is None and not Sale.objects.filter(pk=sale_id).exists():
            raise NotFound(_("Sale not found."), code="sale_not_found")
        lock = card_lock(peek, tier=True) if peek is not None else None
        sale = Sale.objects.select_for_update().get(pk=sale_id)
        if sale.card_id != peek:
            raise RetryTransaction()  # supplemented meanwhile: lock the card it has now
        scope_require(actor, ScopeOp.SALE_REVERSE, home_store_id=sale.store_id)
        if authoriser is not None and not scope_allows(
            authoriser.as_actor(), ScopeOp.SALE_REVERSE, home_store_id=sale.store_id
        ):
            raise PermissionDenied(
                _("%(name)s may not authorise reversals at this store.")
                % {"name": authoriser.display_name},
                code="authoriser_not_allowed",
            )
        if sale.status == Sale.Status.REVERSED:
            raise Conflict(_("This sale has already been reversed."), code="already_reversed")
        if sale.returns.exists():
            raise Conflict(
                _("Lines of this sale were returned; return the rest line by line."),
                code="sale_has_returns",
            )
        if lock is not None and lock.card.status == Card.Status.VOID:
            raise Conflict(
                _("The card of this sale was reissued; reverse it by hand on the new card."),
                code="card_reissued",
            )
        now = timezone.now()
        reversal = None
        if sale.operation_id is not None:
            try:
                reversal = ledger.operation_reverse(
                    actor=actor,
                    operation_id=sale.operation_id,
                    kind="sale_reversal",
                    memo=reason,
                    store_id=sale.store_id,
                    now=now,
                    locked=lock.accounts if lock else None,
                ).operation
            except InsufficientBalance as exc:
                raise Conflict(
                    _(
                        "The points this sale earned have already been used; "
                        "they cannot be taken back."
                    ),
                    code="earned_points_used",
                    details=exc.details,
                ) from exc
        sale.status = Sale.Status.REVERSED
        sale.reversal = reversal
        sale.reversed_at = now
        sale.save(update_fields=["status", "reversal", "reversed_at"])
        audit_record(
            actor=actor,
            action="sale.reversed",
            subject_type="sale",
            subject_id=sale.pk,
            member_id=sale.member_id,
            after={
                "number": sale.number,
                **({"authorised_by": authoriser.username} if authoriser else {}),
            },
            note=reason,
            store_id=sale.store_id,
        )
        event_emit(
            "sale.reversed",
            payload={
                "sale_id": sale.pk,
                "card_id": sale.card_id,
                "operation_id": sale.reversal_id,
                "payable_fen": sale.payable_fen,
                "paid_principal_fen": sale.paid_principal_fen,
                "paid_bonus_fen": sale.paid_bonus_fen,
                "points_used": sale.points_used,
                "points_earned": sale.points_earned,
            },
            member_id=sale.member_id,
            store_id=sale.store_id,
        )
        if lock is not None and lock.member is not None:
            tier_services.tier_reevaluate_after_reversal(
                actor=actor, member=lock.member, since=sale.created_at, now=now
            )
        if hooks.participants():
            hooks.sale_reversed(
                hooks.ReversalDone(
                    actor=actor, sale=sale, lines=list(sale.lines.all()), lock=lock, now=now
                )
            )
        return sale

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="sale_reverse",
        payload={"sale_id": sale_id, "reason": reason},
        perform=perform,
        load=sale_load,
    )


def sale_supplement_points(
    *, actor: Actor, sale_number: str, card_id: int, idempotency_key: str
) -> Sale:
    """补积分: credit a walk-in sale to a member's card within the policy's deadline."""
    require(actor, Perm.SALE_CREATE)
    number = (sale_number or "").strip()

    def perform() -> Sale:
        lock = card_lock(card_id, tier=True)
        sale = Sale.objects.select_for_update().filter(number=number).first()
        if sale is None:
            raise NotFound(_("No sale with this receipt number."), code="sale_not_found")
        scope_require(actor, ScopeOp.POINTS_SUPPLEMENT, home_store_id=sale.store_id)
        if sale.card_id is not None:
            raise Conflict(_("This sale already belongs to a member."), code="sale_has_member")
        if sale.status != Sale.Status.COMPLETED:
            raise Conflict(_("This sale was reversed."), code="sale_reversed")
        policy = PointsPolicy.current()
        now = timezone.now()
        if now - sale.created_at > dt.timedelta(days=policy.supplement_days):
            raise Conflict(
                _("Points can be added only within %(days)s days of the sale.")
                % {"days": policy.supplement_days},
                code="supplement_too_late",
            )
        card, member = lock.card, lock.member
        card_require_usable(card, now=now)
        if member is None or member.status != Member.Status.ACTIVE or member.earn_frozen:
            raise Conflict(_("This member cannot earn points now."), code="member_cannot_earn")
        tier = tier_services.tier_of(lock.tier_state, tier_services.tiers_ordered())
        if sale.returned_payable_fen:
            raise Conflict(
                _("Lines of this sale were returned; its points cannot be added now."),
                code="sale_has_returns",
            )
        lines = list(SaleLine.objects.filter(sale=sale).order_by("position"))
        eligible = [line.points_eligible_fen for line in lines]
        ctx = points_services.earn_context_for(
            card=card,
            amount_fen=sum(eligible) if lines else sale.paid_external_fen,
            at=sale.created_at,
            store_id=sale.store_id,
            category=sale.category,
            tier_code=tier.code if tier else "",
            tier_multiplier_pct=tier.points_multiplier_pct if tier else 100,
        )
        earn = compute_earn(points_services.rules_in_effect(sale.created_at), ctx)
        result = ledger.operation_post(
            actor=actor,
            kind="points_supplement",
            moves=[
                ledger.Move(
                    kind="earn",
                    source=ledger.store_account(Account.Kind.STORE_POINTS_ISSUED, sale.store_id),
                    target=lock.points,
                    amount=earn.points,
                    expires_at=points_services.points_expires_at(now, policy),
                    lot_store_id=sale.store_id,
                )
            ],
            member_id=member.pk,
            card_id=card.pk,
            store_id=sale.store_id,
            now=now,
            details={"sale": sale.number},
            locked=lock.accounts,
        )
        if lines and sum(eligible):
            shares = pricing.allocate(earn.points, eligible)
            for line, share in zip(lines, shares, strict=True):
                line.points_earned = share
            SaleLine.objects.bulk_update(lines, ["points_earned"])
        sale.card, sale.member = card, member
        sale.points_earned = earn.points
        sale.earn_explanation = {**earn.as_dict(), "supplemented": True}
        sale.supplemented_at = now
        sale.operation = result.operation
        sale.save()
        audit_record(
            actor=actor,
            action="points.supplemented",
            subject_type="sale",
            subject_id=sale.pk,
            member_id=member.pk,
            after={"number": sale.number, "points": earn.points},
        )
        return sale

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="points_supplement",
        payload={"sale": number, "card_id": card_id},
        perform=perform,
        load=sale_load,
    )
