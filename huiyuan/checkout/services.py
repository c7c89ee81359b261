"""Quick consumption (快速消费), its reversal, and supplementary points (S1, S2, P3).

A sale is priced (tier discount), paid (points offset, stored value in the configured
principal/bonus order, the rest by an external method), earns points by the rules in
effect — all in one transaction with one ledger operation. A reversal undoes that
operation leg for leg: every lot gets back exactly what was taken from it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.cards.locks import card_lock
from huiyuan.cards.models import Card
from huiyuan.cards.services import card_require_usable
from huiyuan.checkout.models import Sale
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.money import fen_to_yuan_str
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
from huiyuan.stores.models import Store
from huiyuan.tiers import services as tier_services
from huiyuan.wallet.models import PaymentMethod, WalletPolicy

MAX_SALE_FEN = 100_000_000


@dataclass(frozen=True)
class QuickSaleInput:
    amount_fen: int
    card_id: int | None = None
    category: str = ""
    balance_fen: int = 0  # to pay from stored value (principal and bonus)
    points: int = 0  # to offset
    external_method: str = ""  # for whatever is left


def split_balance(order: str, amount: int, principal: int, bonus: int) -> tuple[int, int]:
    """How much of ``amount`` comes from principal and from bonus under ``order``."""
    if amount > principal + bonus:
        raise InsufficientBalance("balance", amount, principal + bonus)
    if order == WalletPolicy.SpendOrder.BONUS_FIRST:
        from_bonus = min(bonus, amount)
        return amount - from_bonus, from_bonus
    if order == WalletPolicy.SpendOrder.PROPORTIONAL and principal + bonus:
        from_bonus = min(bonus, amount * bonus // (principal + bonus))
        from_principal = min(principal, amount - from_bonus)
        return from_principal, amount - from_principal
    from_principal = min(principal, amount)
    return from_principal, amount - from_principal


def _receipt_number(store: Store, now: dt.datetime) -> str:
    return f"{store.code}{timezone.localtime(now):%y%m%d%H%M%S}{secrets.randbelow(10**6):06d}"


def _sale_create(*, store: Store, now: dt.datetime, **fields: object) -> Sale:
    """Insert a sale under a fresh receipt number. On the rare collision (same store, same
    second, same six random digits) the whole transaction runs again with a new draw."""
    try:
        return Sale.objects.create(number=_receipt_number(store, now), store=store, **fields)  # type: ignore[arg-type]
    except IntegrityError as exc:
        raise RetryTransaction() from exc


def _sale_load(sale_id: int) -> Sale:
    return Sale.objects.select_related("member", "card", "store").get(pk=sale_id)


def sale_quick(*, actor: Actor, data: QuickSaleInput, idempotency_key: str) -> Sale:
    """Record a quick consumption at the actor's store.

    Everything is decided under the card's lock (member → card → accounts → tier state):
    card status and expiry, member status and freezes, balances and lots.
    """
    require(actor, Perm.SALE_CREATE, store_id=actor.store_id, check_store=True)
    if actor.store_id is None:
        raise ValidationFailed(_("Choose the store you work at."), code="store_required")
    if not isinstance(data.amount_fen, int) or not 0 < data.amount_fen <= MAX_SALE_FEN:
        raise ValidationFailed(
            _("Enter an amount above zero."), code="invalid_amount", field="amount"
        )
    if data.balance_fen < 0 or data.points < 0:
        raise ValidationFailed(_("Amounts cannot be negative."), code="invalid_amount")
    if (data.balance_fen or data.points) and data.card_id is None:
        raise ValidationFailed(_("Paying by balance or points needs a card."), code="card_required")
    if data.external_method and data.external_method not in PaymentMethod.values:
        raise ValidationFailed(
            _("Unknown payment method."), code="invalid_method", field="external_method"
        )
    category = (data.category or "").strip()[:40]
    store_id: int = actor.store_id

    def perform() -> Sale:
        now = timezone.now()
        store = Store.objects.only("pk", "code").get(pk=store_id)
        lock = card_lock(data.card_id, tier=True) if data.card_id is not None else None
        card = lock.card if lock else None
        member = lock.member if lock else None
        if card is not None:
            card_require_usable(card, now=now)
        if member is not None:
            if member.status != Member.Status.ACTIVE:
                raise Conflict(_("The member is not active."), code="member_not_active")
            if member.spend_frozen and (data.balance_fen or data.points):
                raise Conflict(_("Spending is frozen for this member."), code="member_spend_frozen")
        tiers = tier_services.tiers_ordered() if member is not None else []
        tier = tier_services.tier_of(lock.tier_state, tiers) if lock and member else None
        tier_code = tier.code if tier else ""
        permille = tier.discount_permille if tier else 1000
        multiplier = tier.points_multiplier_pct if tier else 100
        payable = data.amount_fen * permille // 1000
        discount = data.amount_fen - payable

        points_policy = PointsPolicy.current()
        offset_fen = 0
        if data.points:
            if (data.points * 100) % points_policy.points_per_yuan:
                raise ValidationFailed(
                    _("Points must make whole fen: %(n)s points are worth ¥1.")
                    % {"n": points_policy.points_per_yuan},
                    code="invalid_points",
                    field="points",
                )
            offset_fen = data.points * 100 // points_policy.points_per_yuan
            if offset_fen * 100 > payable * points_policy.max_offset_percent:
                raise ValidationFailed(
                    _("Points may pay at most %(pct)s%% of this bill.")
                    % {"pct": points_policy.max_offset_percent},
                    code="points_offset_too_high",
                    field="points",
                )
        if offset_fen + data.balance_fen > payable:
            raise ValidationFailed(
                _("The payments exceed the amount due (%(due)s).")
                % {"due": fen_to_yuan_str(payable)},
                code="overpaid",
            )
        external = payable - offset_fen - data.balance_fen
        if external and not data.external_method:
            raise ValidationFailed(
                _("Choose how the remaining %(rest)s is paid.")
                % {"rest": fen_to_yuan_str(external)},
                code="external_method_required",
                field="external_method",
            )

        operation = None
        paid_principal = paid_bonus = 0
        earn_points, explanation = (
            0,
            {"points": 0, "steps": ["no member card: no points (补积分 possible)"]},
        )
        if lock is not None:
            principal, bonus, points_account = lock.principal, lock.bonus, lock.points
            lots = ledger.spendable_lots_of([bonus.pk, points_account.pk], now)
            points_available = ledger.available(points_account, now, lots[points_account.pk])
            if data.points > points_available:
                raise InsufficientBalance("points", data.points, points_available)
            paid_principal, paid_bonus = split_balance(
                WalletPolicy.current().spend_order if data.balance_fen else "",
                data.balance_fen,
                principal.balance,
                ledger.available(bonus, now, lots[bonus.pk]),
            )
            sales_account = ledger.store_account(Account.Kind.STORE_SALES, store.pk)
            moves = [
                ledger.Move(
                    kind="spend", source=principal, target=sales_account, amount=paid_principal
                ),
                ledger.Move(
                    kind="spend_bonus", source=bonus, target=sales_account, amount=paid_bonus
                ),
                ledger.Move(
                    kind="redeem",
                    source=points_account,
                    target=ledger.store_account(Account.Kind.STORE_POINTS_REDEEMED, store.pk),
                    amount=data.points,
                ),
            ]
            # Points are earned on money actually paid: principal and external, not bonus
            # or points offset.
            if member is not None and member.earn_frozen:
                earn_points, explanation = (
                    0,
                    {"points": 0, "steps": ["earning is frozen for this member"]},
                )
            else:
                ctx = points_services.earn_context_for(
                    card=card,  # type: ignore[arg-type]
                    amount_fen=paid_principal + external,
                    at=now,
                    store_id=store.pk,
                    category=category,
                    tier_code=tier_code,
                    tier_multiplier_pct=multiplier,
                )
                earn = compute_earn(points_services.rules_in_effect(now), ctx)
                earn_points, explanation = earn.points, earn.as_dict()
            moves.append(
                ledger.Move(
                    kind="earn",
                    source=ledger.store_account(Account.Kind.STORE_POINTS_ISSUED, store.pk),
                    target=points_account,
                    amount=earn_points,
                    expires_at=points_services.points_expires_at(now, points_policy),
                    lot_store_id=store.pk,
                )
            )
            if any(m.amount > 0 for m in moves):
                operation = ledger.operation_post(
                    actor=actor,
                    kind="sale",
                    moves=moves,
                    member_id=member.pk if member else None,
                    card_id=lock.card.pk,
                    store_id=store.pk,
                    now=now,
                    details={"amount": data.amount_fen, "payable": payable},
                    locked=lock.accounts,
                    lots=lots,
                ).operation
        sale = _sale_create(
            store=store,
            now=now,
            member=member,
            card=card,
            operator=actor.staff,
            category=category,
            amount_fen=data.amount_fen,
            discount_fen=discount,
            payable_fen=payable,
            paid_principal_fen=paid_principal,
            paid_bonus_fen=paid_bonus,
            points_used=data.points,
            points_offset_fen=offset_fen,
            paid_external_fen=external,
            external_method=data.external_method if external else "",
            points_earned=earn_points,
            earn_explanation=explanation,
            tier_code=tier_code,
            operation=operation,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="sale.completed",
            subject_type="sale",
            subject_id=sale.pk,
            member_id=member.pk if member else None,
            after={
                "number": sale.number,
                "payable": payable,
                "principal": paid_principal,
                "bonus": paid_bonus,
                "points_used": data.points,
                "external": external,
                "points_earned": earn_points,
            },
        )
        event_emit(
            "sale.completed",
            payload={
                "sale_id": sale.pk,
                "card_id": sale.card_id,
                "operation_id": sale.operation_id,
                "amount_fen": sale.amount_fen,
                "discount_fen": sale.discount_fen,
                "payable_fen": sale.payable_fen,
                "paid_principal_fen": sale.paid_principal_fen,
                "paid_bonus_fen": sale.paid_bonus_fen,
                "points_used": sale.points_used,
                "points_offset_fen": sale.points_offset_fen,
                "paid_external_fen": sale.paid_external_fen,
                "external_method": sale.external_method,
                "points_earned": sale.points_earned,
            },
            member_id=sale.member_id,
            store_id=sale.store_id,
        )
        if member is not None:
            Member.objects.filter(pk=member.pk).update(last_activity_at=now)
            tier_services.tier_upgrade_if_due(
                actor=actor,
                member=member,
                now=now,
                tiers=tiers,
                state=lock.tier_state if lock else None,
            )
        return sale

    payload = {
        "card_id": data.card_id,
        "amount": data.amount_fen,
        "category": category,
        "balance": data.balance_fen,
        "points": data.points,
        "method": data.external_method,
    }
    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="sale",
        payload=payload,
        perform=perform,
        load=_sale_load,
        store_id=store_id,
    )


def sale_reverse(*, actor: Actor, sale_id: int, reason: str, idempotency_key: str) -> Sale:
    """Give back exactly what the sale took and take back the points it gave. Once.

    Under the card's lock. A tier upgrade the sale earned is undone when no longer earned.
    A reversal onto a cancelled card is allowed: the stored value it gives back can then be
    refunded (``wallet_refund`` accepts cancelled cards) — money is never stranded.
    """
    require(actor, Perm.SALE_REVERSE)
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
        require(actor, Perm.SALE_REVERSE, store_id=sale.store_id, check_store=True)
        if sale.status == Sale.Status.REVERSED:
            raise Conflict(_("This sale has already been reversed."), code="already_reversed")
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
            after={"number": sale.number},
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
        return sale

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="sale_reverse",
        payload={"sale_id": sale_id, "reason": reason},
        perform=perform,
        load=_sale_load,
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
        ctx = points_services.earn_context_for(
            card=card,
            amount_fen=sale.paid_external_fen,
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
        load=_sale_load,
    )


@dataclass(frozen=True)
class SaleQuote:
    """What a quick consumption would come to, before it is recorded (nothing is written).

    The counter shows it live; ``sale_quick`` decides again when the sale is submitted.
    """

    amount_fen: int
    tier_code: str
    tier_name: str
    discount_permille: int
    discount_fen: int
    payable_fen: int
    points: int
    points_offset_fen: int
    points_per_yuan: int
    max_points: int  # the most points this bill and this card allow
    balance_fen: int
    max_balance_fen: int  # the most stored value that can still pay this bill
    external_fen: int
    overpaid: bool
    available_fen: int  # principal and unexpired bonus on the card
    available_points: int


def sale_quote(
    *,
    actor: Actor,
    amount_fen: int,
    card_id: int | None = None,
    points: int = 0,
    balance_fen: int = 0,
) -> SaleQuote:
    """Price a quick consumption the way ``sale_quick`` does: tier discount, points offset,
    stored value, and what is left for an external method."""
    import math

    require(actor, Perm.SALE_CREATE)
    amount_fen = max(0, amount_fen)
    points, balance_fen = max(0, points), max(0, balance_fen)
    card = (
        Card.objects.select_related("member").filter(pk=card_id).first()
        if card_id is not None
        else None
    )
    member = card.member if card is not None else None
    tier = tier_services.current_tier(member) if member is not None else None
    permille = tier.discount_permille if tier is not None else 1000
    payable = amount_fen * permille // 1000
    policy = PointsPolicy.current()
    available_fen = available_points = 0
    if card is not None:
        accounts = ledger.card_accounts(card.pk)
        now = timezone.now()
        available_fen = accounts[Account.Kind.PRINCIPAL].balance + ledger.available(
            accounts[Account.Kind.BONUS], now
        )
        available_points = ledger.available(accounts[Account.Kind.POINTS], now)
    # The most points: within the offset cap, the card's points, in whole fen.
    cap_fen = payable * policy.max_offset_percent // 100
    step = policy.points_per_yuan // math.gcd(policy.points_per_yuan, 100)
    max_points = min(available_points, cap_fen * policy.points_per_yuan // 100)
    max_points -= max_points % step
    offset = points * 100 // policy.points_per_yuan
    rest = max(0, payable - offset)
    return SaleQuote(
        amount_fen=amount_fen,
        tier_code=tier.code if tier is not None else "",
        tier_name=tier.name if tier is not None else "",
        discount_permille=permille,
        discount_fen=amount_fen - payable,
        payable_fen=payable,
        points=points,
        points_offset_fen=offset,
        points_per_yuan=policy.points_per_yuan,
        max_points=max(0, max_points),
        balance_fen=balance_fen,
        max_balance_fen=min(available_fen, rest),
        external_fen=max(0, payable - offset - balance_fen),
        overpaid=offset + balance_fen > payable,
        available_fen=available_fen,
        available_points=available_points,
    )
