"""Recharge and refund of stored value (W1–W3)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.cards.locks import card_lock
from huiyuan.cards.models import Card
from huiyuan.cards.services import card_require_usable
from huiyuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.events.services import event_emit
from huiyuan.ledger import services as ledger
from huiyuan.ledger.commands import command_run
from huiyuan.ledger.models import Account
from huiyuan.members.models import Member
from huiyuan.stores.scope import ScopeOp, scope_allows, scope_require
from huiyuan.stores.services import ManagerAuthorisation, staff_authoriser
from huiyuan.wallet.clawback import bonus_clawback
from huiyuan.wallet.models import PaymentMethod, Recharge, RechargePackage, Refund, WalletPolicy

MAX_SINGLE_RECHARGE_FEN = 10_000_000


def _require_member_open(member: Member | None) -> None:
    if member is not None and member.status != Member.Status.ACTIVE:
        raise Conflict(_("The member is not active."), code="member_not_active")


def card_limit_fen(card: Card, policy: WalletPolicy) -> int:
    return policy.anonymous_limit_fen if card.card_type.anonymous else policy.named_limit_fen


def wallet_recharge(
    *,
    actor: Actor,
    card_id: int,
    amount_fen: int,
    method: str,
    idempotency_key: str,
    package_id: int | None = None,
    batch: str = "",
) -> Recharge:
    """Add stored value at the actor's store; with a package, its bonus goes into a lot."""
    require(actor, Perm.WALLET_RECHARGE, store_id=actor.store_id, check_store=True)
    if actor.store_id is None:
        raise ValidationFailed(_("Choose the store you work at."), code="store_required")
    if method not in PaymentMethod.values:
        raise ValidationFailed(_("Unknown payment method."), code="invalid_method", field="method")
    if not isinstance(amount_fen, int) or amount_fen <= 0 or amount_fen > MAX_SINGLE_RECHARGE_FEN:
        raise ValidationFailed(
            _("Enter an amount above zero."), code="invalid_amount", field="amount"
        )
    package = None
    if package_id is not None:
        package = RechargePackage.objects.filter(pk=package_id, is_active=True).first()
        if package is None:
            raise NotFound(
                _("Unknown recharge package."), code="unknown_package", field="package_id"
            )
        if package.pay_fen != amount_fen:
            raise ValidationFailed(
                _("This package is paid with exactly %(amount)s.")
                % {"amount": fen_to_yuan_str(package.pay_fen)},
                code="package_amount_mismatch",
                field="amount",
            )

    store_id: int = actor.store_id

    def perform() -> Recharge:
        now = timezone.now()
        lock = card_lock(card_id)
        card = lock.card
        scope_require(actor, ScopeOp.RECHARGE, home_store_id=card.store_id)
        card_require_usable(card, now=now)
        _require_member_open(lock.member)
        policy = WalletPolicy.current()
        if card.member_id:
            Member.objects.filter(pk=card.member_id).update(last_activity_at=now)
        principal = lock.principal
        limit = card_limit_fen(card, policy)
        if principal.balance + amount_fen > limit:
            raise Conflict(
                _(
                    "Over the prepaid limit: this card may hold at most %(limit)s of stored value "
                    "(now %(balance)s)."
                )
                % {"limit": fen_to_yuan_str(limit), "balance": fen_to_yuan_str(principal.balance)},
                code="prepaid_limit_exceeded",
                details={"limit_fen": limit, "balance_fen": principal.balance},
            )
        # Earning frozen: the package's bonus is withheld, decided on the locked member row.
        earn_frozen = lock.member is not None and lock.member.earn_frozen
        bonus_fen = package.bonus_fen if package and not earn_frozen else 0
        valid_days = (package.bonus_valid_days if package else None) or policy.bonus_valid_days
        moves = [
            ledger.Move(
                kind="recharge",
                source=ledger.store_account(Account.Kind.STORE_FUNDING, store_id),
                target=principal,
                amount=amount_fen,
            )
        ]
        if bonus_fen:
            moves.append(
                ledger.Move(
                    kind="recharge_bonus",
                    source=ledger.store_account(Account.Kind.STORE_BONUS, store_id),
                    target=lock.bonus,
                    amount=bonus_fen,
                    expires_at=now + dt.timedelta(days=valid_days) if valid_days else None,
                    lot_store_id=store_id,
                )
            )
        result = ledger.operation_post(
            actor=actor,
            kind="recharge",
            moves=moves,
            member_id=card.member_id,
            card_id=card.pk,
            store_id=store_id,
            now=now,
            details={
                "method": method,
                "principal": amount_fen,
                "bonus": bonus_fen,
                "package": package.name if package else None,
            },
            locked=lock.accounts,
        )
        recharge = Recharge.objects.create(
            operation=result.operation,
            card=card,
            member_id=card.member_id,
            store_id=store_id,
            method=method,
            principal_fen=amount_fen,
            bonus_fen=bonus_fen,
            package=package,
            batch=batch,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="wallet.recharged",
            subject_type="card",
            subject_id=card.pk,
            member_id=card.member_id,
            after={
                "card": card.number,
                "principal": amount_fen,
                "bonus": bonus_fen,
                "method": method,
            },
        )
        event_emit(
            "wallet.recharged",
            payload={
                "recharge_id": recharge.pk,
                "card_id": card.pk,
                "operation_id": recharge.operation_id,
                "principal_fen": amount_fen,
                "bonus_fen": bonus_fen,
                "method": method,
                "package_id": package.pk if package else None,
            },
            member_id=card.member_id,
            store_id=store_id,
        )
        return recharge

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="recharge",
        payload={"card_id": card_id, "amount": amount_fen, "method": method, "package": package_id},
        perform=perform,
        load=lambda pk: Recharge.objects.select_related("card", "package").get(pk=pk),
        store_id=store_id,
    )


def wallet_refund(
    *,
    actor: Actor,
    card_id: int,
    amount_fen: int,
    method: str,
    reason: str,
    idempotency_key: str,
    authorised_by: ManagerAuthorisation | None = None,
) -> Refund:
    """Pay back unused principal; bonus is clawed back in the same proportion.

    A cashier without ``wallet.refund`` (but with ``wallet.recharge``) refunds with a
    manager's authorisation (``authorised_by``: the username and password of someone who may
    refund at this store), checked after the input and before anything is written; the
    audit names both. Without one, the permission is required as before."""
    needs_manager = authorised_by is not None and not actor.has(Perm.WALLET_REFUND)
    require(
        actor,
        Perm.WALLET_RECHARGE if needs_manager else Perm.WALLET_REFUND,
        store_id=actor.store_id,
        check_store=True,
    )
    if actor.store_id is None:
        raise ValidationFailed(_("Choose the store you work at."), code="store_required")
    if method not in PaymentMethod.values:
        raise ValidationFailed(_("Unknown payment method."), code="invalid_method", field="method")
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        raise ValidationFailed(
            _("Enter an amount above zero."), code="invalid_amount", field="amount"
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason."), code="reason_required", field="reason")

    store_id: int = actor.store_id
    authoriser = (
        staff_authoriser(
            authorised_by,
            Perm.WALLET_REFUND,
            required=str(
                _("A refund needs a manager's authorisation: enter their username and password.")
            ),
            not_allowed=str(_("%(name)s may not authorise refunds at this store.")),
            store_id=store_id,
        )
        if needs_manager
        else None
    )

    def perform() -> Refund:
        lock = card_lock(card_id)
        card = lock.card
        scope_require(actor, ScopeOp.REFUND, home_store_id=card.store_id)
        if authoriser is not None and not scope_allows(
            authoriser.as_actor(store_id), ScopeOp.REFUND, home_store_id=card.store_id
        ):
            raise PermissionDenied(
                _("%(name)s may not authorise refunds at this store.")
                % {"name": authoriser.display_name or authoriser.username},
                code="authoriser_not_allowed",
            )
        # A cancelled card may still be refunded: a reversal onto it gives value back.
        if card.status not in (Card.Status.ACTIVE, Card.Status.LOST, Card.Status.CANCELLED):
            raise Conflict(_("This card is closed."), code="card_closed")
        principal, bonus = lock.principal, lock.bonus
        if principal.balance < amount_fen:
            raise Conflict(
                _("Only %(balance)s of stored value can be refunded.")
                % {"balance": fen_to_yuan_str(principal.balance)},
                code="insufficient_principal",
                details={"needed": amount_fen, "available": principal.balance},
            )
        # Cumulative per card (huiyuan/wallet/clawback.py): however the refund is split.
        clawback = bonus_clawback(
            card_id=card.pk, refund_fen=amount_fen, bonus_available=ledger.available(bonus)
        )
        now = timezone.now()
        moves = [
            ledger.Move(
                kind="refund",
                source=principal,
                target=ledger.store_account(Account.Kind.STORE_REFUNDS, store_id),
                amount=amount_fen,
            )
        ]
        if clawback:
            moves.append(
                ledger.Move(
                    kind="bonus_clawback",
                    source=bonus,
                    target=ledger.store_account(Account.Kind.STORE_BONUS, store_id),
                    amount=clawback,
                )
            )
        result = ledger.operation_post(
            actor=actor,
            kind="refund",
            moves=moves,
            member_id=card.member_id,
            card_id=card.pk,
            store_id=store_id,
            memo=reason,
            now=now,
            details={"method": method, "principal": amount_fen, "bonus_clawback": clawback},
            locked=lock.accounts,
        )
        refund = Refund.objects.create(
            operation=result.operation,
            card=card,
            member_id=card.member_id,
            store_id=store_id,
            method=method,
            principal_fen=amount_fen,
            bonus_clawback_fen=clawback,
            reason=reason[:200],
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="wallet.refunded",
            subject_type="card",
            subject_id=card.pk,
            member_id=card.member_id,
            after={
                "card": card.number,
                "principal": amount_fen,
                "bonus_clawback": clawback,
                **({"authorised_by": authoriser.username} if authoriser else {}),
            },
            note=reason,
        )
        event_emit(
            "wallet.refunded",
            payload={
                "refund_id": refund.pk,
                "card_id": card.pk,
                "operation_id": refund.operation_id,
                "principal_fen": amount_fen,
                "bonus_clawback_fen": clawback,
                "method": method,
            },
            member_id=card.member_id,
            store_id=store_id,
        )
        return refund

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="refund",
        payload={"card_id": card_id, "amount": amount_fen, "method": method, "reason": reason},
        perform=perform,
        load=lambda pk: Refund.objects.select_related("card").get(pk=pk),
        store_id=store_id,
    )


def recharge_package_create(
    *,
    actor: Actor,
    name: str,
    pay_fen: int,
    bonus_fen: int = 0,
    bonus_valid_days: int | None = None,
) -> RechargePackage:
    require(actor, Perm.WALLET_CONFIGURE)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Enter a name."), code="name_required", field="name")
    if pay_fen <= 0 or bonus_fen < 0:
        raise ValidationFailed(_("Enter an amount above zero."), code="invalid_amount")
    with transaction.atomic():
        package = RechargePackage.objects.create(
            name=name, pay_fen=pay_fen, bonus_fen=bonus_fen, bonus_valid_days=bonus_valid_days
        )
        audit_record(
            actor=actor,
            action="recharge_package.created",
            subject_type="recharge_package",
            subject_id=package.pk,
            after={"name": name, "pay": pay_fen, "bonus": bonus_fen},
        )
    return package


def _package_used(package: RechargePackage) -> bool:
    """Whether any record (a recharge, an online order…) points at the package."""
    return any(
        rel.related_model._default_manager.filter(**{rel.field.name: package}).exists()  # type: ignore[union-attr]
        for rel in RechargePackage._meta.related_objects
    )


def recharge_package_update(
    *,
    actor: Actor,
    package_id: int,
    name: str,
    pay_fen: int,
    bonus_fen: int = 0,
    bonus_valid_days: int | None = None,
) -> RechargePackage:
    """Edit a package. Past recharges keep what they were sold with: a package no record
    points at yet is changed in place; one already sold (or in an online order) is withdrawn
    and a new package with the new terms takes its place at the counter. Returns the package
    now offered. The same checks as creating one; a refusal changes nothing."""
    require(actor, Perm.WALLET_CONFIGURE)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Enter a name."), code="name_required", field="name")
    if pay_fen <= 0 or bonus_fen < 0:
        raise ValidationFailed(_("Enter an amount above zero."), code="invalid_amount")
    if bonus_valid_days is not None and not 1 <= bonus_valid_days <= 36500:
        raise ValidationFailed(
            _("Bonus validity is 1 day or more."),
            code="invalid_valid_days",
            field="bonus_valid_days",
        )
    terms = {
        "name": name,
        "pay_fen": pay_fen,
        "bonus_fen": bonus_fen,
        "bonus_valid_days": bonus_valid_days,
    }
    with transaction.atomic():
        package = RechargePackage.objects.select_for_update().filter(pk=package_id).first()
        if package is None:
            raise NotFound(_("Unknown recharge package."), code="unknown_package")
        before = {k: getattr(package, k) for k, v in terms.items() if getattr(package, k) != v}
        if not before:
            return package
        after: dict[str, object] = {k: terms[k] for k in before}
        if _package_used(package):
            replacement = RechargePackage.objects.create(is_active=package.is_active, **terms)
            package.is_active = False
            package.save(update_fields=["is_active"])
            after["replaced_by"] = replacement.pk
            result = replacement
        else:
            for key, value in terms.items():
                setattr(package, key, value)
            package.save(update_fields=list(terms))
            result = package
        audit_record(
            actor=actor,
            action="recharge_package.updated",
            subject_type="recharge_package",
            subject_id=package.pk,
            before=before,
            after=after,
        )
    return result


def wallet_policy_update(*, actor: Actor, **changes: object) -> WalletPolicy:
    require(actor, Perm.WALLET_CONFIGURE)
    allowed = {"spend_order", "named_limit_fen", "anonymous_limit_fen", "bonus_valid_days"}
    if set(changes) - allowed:
        raise ValidationFailed(_("Unknown setting."), code="unknown_setting")
    if "spend_order" in changes and changes["spend_order"] not in WalletPolicy.SpendOrder.values:
        raise ValidationFailed(_("Unknown spending order."), code="invalid_spend_order")
    for key in ("named_limit_fen", "anonymous_limit_fen"):
        if key in changes and (not isinstance(changes[key], int) or changes[key] <= 0):  # type: ignore[operator]
            raise ValidationFailed(_("A limit is above zero."), code="invalid_limit")
    with transaction.atomic():
        policy = WalletPolicy.objects.select_for_update().get(pk=WalletPolicy.current().pk)
        before = {k: getattr(policy, k) for k in changes}
        for key, value in changes.items():
            setattr(policy, key, value)
        policy.save()
        audit_record(
            actor=actor,
            action="wallet_policy.updated",
            subject_type="wallet_policy",
            subject_id=policy.pk,
            before=before,
            after=dict(changes),
        )
    return policy


def recharge_package_set_active(*, actor: Actor, package_id: int, active: bool) -> RechargePackage:
    """Offer a package again, or stop offering it; recharges already made keep it."""
    require(actor, Perm.WALLET_CONFIGURE)
    with transaction.atomic():
        package = RechargePackage.objects.select_for_update().filter(pk=package_id).first()
        if package is None:
            raise NotFound(_("Unknown recharge package."), code="unknown_package")
        if package.is_active == active:
            return package
        package.is_active = active
        package.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="recharge_package.activated" if active else "recharge_package.deactivated",
            subject_type="recharge_package",
            subject_id=package.pk,
            before={"is_active": not active},
            after={"is_active": active},
        )
    return package
