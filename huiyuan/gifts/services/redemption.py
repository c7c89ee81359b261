"""Redeem a gift for points (积分兑换), pick it up, cancel it.

``gift_redeem`` decides everything under the locks, in one transaction: the card's locks
(member → card → card accounts, ``card_lock``), then the gift row. It takes the points
from the card's points account to the store's points-redeemed account (a ``redeem`` move,
oldest lots first, as a sale's points payment does) and the stock from the gift, writes the
redemption, the stock movement, the audit event and ``gift.redeemed`` — or nothing at all.

Cancelling reverses the ledger operation (the points go back to exactly the lots they came
from) and puts the stock back, under the same locks in the same order (card, gift), then
the redemption row.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.cards.locks import card_lock, member_lock
from huiyuan.core.errors import Conflict, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.events.services import event_emit
from huiyuan.gifts.models import Gift, GiftMovement, Redemption
from huiyuan.gifts.services.common import (
    MAX_QUANTITY,
    gift_locked,
    member_may_spend_points,
    points_store_id,
    redemption_locked,
    run_write,
    stock_change,
)
from huiyuan.ledger import services as ledger
from huiyuan.ledger.commands import command_run
from huiyuan.ledger.models import Account
from huiyuan.stores.scope import ScopeOp, scope_require

CASH_METHODS = ("cash", "bank_card", "wechat", "alipay")


def gift_redeem(
    *,
    actor: Actor,
    card_id: int,
    gift_id: int,
    quantity: int = 1,
    cash_method: str = "",
    channel: str = Redemption.Channel.COUNTER,
    idempotency_key: str,
) -> Redemption:
    """Redeem ``quantity`` of a gift for the card's points (and the gift's cash top-up)."""
    require(actor, Perm.GIFT_REDEEM)
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed(
            _("Enter a quantity from 1 to 100."), code="invalid_quantity", field="quantity"
        )
    if channel not in (Redemption.Channel.COUNTER, Redemption.Channel.API):
        raise ValidationFailed(_("Unknown channel."), code="invalid_channel", field="channel")
    if cash_method and cash_method not in CASH_METHODS:
        raise ValidationFailed(
            _("Unknown payment method."), code="invalid_method", field="cash_method"
        )

    def perform() -> Redemption:
        now = timezone.now()
        lock = card_lock(card_id, touch=now)
        member = member_may_spend_points(actor, lock, now)
        gift = gift_locked(gift_id)
        if gift.status != Gift.Status.ACTIVE:
            raise Conflict(_("This gift is delisted."), code="gift_delisted")
        cash_fen = gift.cash_fen * quantity
        if cash_fen and not cash_method:
            raise ValidationFailed(
                _("This gift needs a cash top-up: choose how it is paid."),
                code="cash_method_required",
                field="cash_method",
            )
        points = gift.points_price * quantity
        store_id = points_store_id(actor, lock)
        result = ledger.operation_post(
            actor=actor,
            kind="gift_redeem",
            moves=[
                ledger.Move(
                    kind="redeem",
                    source=lock.points,
                    target=ledger.store_account(Account.Kind.STORE_POINTS_REDEEMED, store_id),
                    amount=points,
                )
            ],
            member_id=member.pk,
            card_id=lock.card.pk,
            store_id=store_id,
            memo=gift.name,
            now=now,
            details={"gift_id": gift.pk, "quantity": quantity, "points": points},
            locked=lock.accounts,
        )
        redemption = Redemption.objects.create(
            gift=gift,
            member_id=member.pk,
            card_id=lock.card.pk,
            store_id=store_id,
            channel=channel,
            quantity=quantity,
            points=points,
            cash_fen=cash_fen,
            cash_method=cash_method if cash_fen else "",
            operation_id=result.operation.pk,
            created_by=actor.staff,
            created_at=now,
        )
        stock_change(
            gift=gift,
            kind=GiftMovement.Kind.REDEEM,
            delta=-quantity,
            actor=actor,
            now=now,
            redemption=redemption,
            store_id=store_id,
        )
        audit_record(
            actor=actor,
            action="gift.redeemed",
            subject_type="gift_redemption",
            subject_id=redemption.pk,
            member_id=member.pk,
            after={
                "gift": gift.code,
                "quantity": quantity,
                "points": points,
                "cash_fen": cash_fen,
                "stock_after": gift.stock,
            },
            store_id=store_id,
        )
        event_emit(
            "gift.redeemed",
            payload={
                "redemption_id": redemption.pk,
                "gift_id": gift.pk,
                "card_id": lock.card.pk,
                "operation_id": result.operation.pk,
                "quantity": quantity,
                "points": points,
                "cash_fen": cash_fen,
                "channel": channel,
            },
            member_id=member.pk,
            store_id=store_id,
        )
        return redemption

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="gift_redeem",
        payload={
            "card_id": card_id,
            "gift_id": gift_id,
            "quantity": quantity,
            "cash_method": cash_method,
            "channel": channel,
        },
        perform=perform,
        load=lambda pk: Redemption.objects.select_related("gift").get(pk=pk),
    )


def redemption_pick_up(
    *, actor: Actor, redemption_id: int, idempotency_key: str | None = None
) -> Redemption:
    """Hand the gift over (已领取). Picking up twice is harmless: the first time stays."""
    require(actor, Perm.GIFT_REDEEM)

    def perform() -> Redemption:
        row = redemption_locked(redemption_id)
        if row.status == Redemption.Status.PICKED_UP:
            return row
        if row.status != Redemption.Status.REDEEMED:
            raise Conflict(_("This redemption was cancelled."), code="redemption_cancelled")
        row.status = Redemption.Status.PICKED_UP
        row.picked_up_at = timezone.now()
        row.save(update_fields=["status", "picked_up_at"])
        audit_record(
            actor=actor,
            action="gift.picked_up",
            subject_type="gift_redemption",
            subject_id=row.pk,
            member_id=row.member_id,
            before={"status": Redemption.Status.REDEEMED},
            after={"status": row.status},
        )
        return row

    return run_write(
        actor=actor,
        key=idempotency_key,
        kind="gift_pick_up",
        payload={"redemption_id": redemption_id},
        perform=perform,
        load=lambda pk: Redemption.objects.select_related("gift").get(pk=pk),
    )


def redemption_cancel(
    *, actor: Actor, redemption_id: int, reason: str, idempotency_key: str
) -> Redemption:
    """Cancel a redemption: the points back to the lots they came from, the stock back.

    A lottery prize is not cancelled here (its points paid for the draw, not the gift).
    """
    require(actor, Perm.GIFT_REDEEM)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason."), code="reason_required", field="reason")
    peek = Redemption.objects.filter(pk=redemption_id).values("card_id", "member_id").first()
    if peek is None:
        redemption_locked(redemption_id)  # raises redemption_not_found

    def perform() -> Redemption:
        now = timezone.now()
        assert peek is not None
        lock = card_lock(peek["card_id"]) if peek["card_id"] else None
        if lock is None:
            member_lock(peek["member_id"])
        row = Redemption.objects.filter(pk=redemption_id).values_list("gift_id", flat=True)
        gift = gift_locked(row.get())
        redemption = redemption_locked(redemption_id)
        if redemption.status == Redemption.Status.CANCELLED:
            raise Conflict(_("This redemption is already cancelled."), code="already_cancelled")
        if redemption.channel == Redemption.Channel.LOTTERY:
            raise Conflict(
                _("A lottery prize cannot be cancelled."), code="redemption_not_cancellable"
            )
        if lock is not None:
            scope_require(actor, ScopeOp.SPEND, home_store_id=lock.card.store_id)
        if redemption.operation_id:
            reversal = ledger.operation_reverse(
                actor=actor,
                operation_id=redemption.operation_id,
                kind="gift_redeem_cancel",
                memo=reason,
                now=now,
                locked=lock.accounts if lock else None,
            )
            redemption.cancel_operation_id = reversal.operation.pk
        before = redemption.status
        redemption.status = Redemption.Status.CANCELLED
        redemption.cancelled_at = now
        redemption.cancel_reason = reason[:200]
        redemption.save(
            update_fields=["status", "cancelled_at", "cancel_reason", "cancel_operation_id"]
        )
        stock_change(
            gift=gift,
            kind=GiftMovement.Kind.CANCEL,
            delta=redemption.quantity,
            actor=actor,
            now=now,
            reason=reason,
            redemption=redemption,
        )
        audit_record(
            actor=actor,
            action="gift.redemption_cancelled",
            subject_type="gift_redemption",
            subject_id=redemption.pk,
            member_id=redemption.member_id,
            before={"status": before},
            after={"status": redemption.status, "points": redemption.points},
            note=reason,
        )
        event_emit(
            "gift.redemption_cancelled",
            payload={
                "redemption_id": redemption.pk,
                "gift_id": gift.pk,
                "card_id": redemption.card_id,
                "operation_id": redemption.cancel_operation_id,
                "quantity": redemption.quantity,
                "points": redemption.points,
            },
            member_id=redemption.member_id,
            store_id=actor.store_id,
        )
        return redemption

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="gift_redemption_cancel",
        payload={"redemption_id": redemption_id, "reason": reason},
        perform=perform,
        load=lambda pk: Redemption.objects.select_related("gift").get(pk=pk),
    )
