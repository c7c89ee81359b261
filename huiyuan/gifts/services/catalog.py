"""The gift warehouse: add, edit, delist and relist gifts, restock and write off stock.

Every stock change locks the gift row and writes a ``GiftMovement`` with the stock after
it, in the same transaction, with an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core.errors import Conflict, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.gifts.models import Gift, GiftMovement
from huiyuan.gifts.services.common import MAX_STOCK, gift_locked, run_write, stock_change
from huiyuan.ledger.commands import command_run

MAX_POINTS_PRICE = 10_000_000
MAX_CASH_FEN = 100_000_000


@dataclass(frozen=True)
class GiftInput:
    code: str
    name: str
    points_price: int
    cash_fen: int = 0
    description: str = ""


def _clean(data: GiftInput) -> GiftInput:
    code, name = (data.code or "").strip(), (data.name or "").strip()
    if not code:
        raise ValidationFailed(_("Enter a gift code."), code="gift_code_required", field="code")
    if not name:
        raise ValidationFailed(_("Enter a gift name."), code="gift_name_required", field="name")
    if not isinstance(data.points_price, int) or not 1 <= data.points_price <= MAX_POINTS_PRICE:
        raise ValidationFailed(
            _("The points price must be a whole number of points above zero."),
            code="invalid_points_price",
            field="points_price",
        )
    if not isinstance(data.cash_fen, int) or not 0 <= data.cash_fen <= MAX_CASH_FEN:
        raise ValidationFailed(
            _("The cash top-up must be zero or more."), code="invalid_cash", field="cash_fen"
        )
    return GiftInput(
        code=code[:40],
        name=name[:100],
        points_price=data.points_price,
        cash_fen=data.cash_fen,
        description=(data.description or "").strip()[:500],
    )


def _snapshot(gift: Gift) -> dict[str, object]:
    return {
        "code": gift.code,
        "name": gift.name,
        "points_price": gift.points_price,
        "cash_fen": gift.cash_fen,
        "status": gift.status,
    }


def _check_stock(value: int, field: str = "stock") -> None:
    if not isinstance(value, int) or not 0 <= value <= MAX_STOCK:
        raise ValidationFailed(
            _("Enter a stock between 0 and 10,000,000."), code="invalid_stock", field=field
        )


def gift_create(
    *, actor: Actor, data: GiftInput, stock: int = 0, idempotency_key: str | None = None
) -> Gift:
    """Add a gift to the catalog, with its opening stock."""
    require(actor, Perm.GIFT_MANAGE)
    data = _clean(data)
    _check_stock(stock)
    now = timezone.now()

    def perform() -> Gift:
        try:
            with transaction.atomic():
                gift = Gift.objects.create(
                    code=data.code,
                    name=data.name,
                    description=data.description,
                    points_price=data.points_price,
                    cash_fen=data.cash_fen,
                    stock=0,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError as exc:
            raise Conflict(
                _("A gift with this code exists."), code="duplicate_gift_code", field="code"
            ) from exc
        if stock:
            stock_change(
                gift=gift, kind=GiftMovement.Kind.CREATE, delta=stock, actor=actor, now=now
            )
        audit_record(
            actor=actor,
            action="gift.created",
            subject_type="gift",
            subject_id=gift.pk,
            after={**_snapshot(gift), "stock": gift.stock},
        )
        return gift

    return run_write(
        actor=actor,
        key=idempotency_key,
        kind="gift_create",
        payload={**data.__dict__, "stock": stock},
        perform=perform,
        load=lambda pk: Gift.objects.get(pk=pk),
    )


def gift_update(
    *, actor: Actor, gift_id: int, data: GiftInput, idempotency_key: str | None = None
) -> Gift:
    """Edit a gift's code, name, description and prices (stock changes by movements only)."""
    require(actor, Perm.GIFT_MANAGE)
    data = _clean(data)

    def perform() -> Gift:
        gift = gift_locked(gift_id)
        before = _snapshot(gift)
        gift.code, gift.name, gift.description = data.code, data.name, data.description
        gift.points_price, gift.cash_fen = data.points_price, data.cash_fen
        gift.updated_at = timezone.now()
        try:
            with transaction.atomic():
                gift.save(
                    update_fields=[
                        "code",
                        "name",
                        "description",
                        "points_price",
                        "cash_fen",
                        "updated_at",
                    ]
                )
        except IntegrityError as exc:
            raise Conflict(
                _("A gift with this code exists."), code="duplicate_gift_code", field="code"
            ) from exc
        audit_record(
            actor=actor,
            action="gift.updated",
            subject_type="gift",
            subject_id=gift.pk,
            before=before,
            after=_snapshot(gift),
        )
        return gift

    return run_write(
        actor=actor,
        key=idempotency_key,
        kind="gift_update",
        payload={**data.__dict__, "gift_id": gift_id},
        perform=perform,
        load=lambda pk: Gift.objects.get(pk=pk),
    )


def gift_set_status(
    *, actor: Actor, gift_id: int, status: str, idempotency_key: str | None = None
) -> Gift:
    """Delist (下架) or put back on offer (上架). A delisted gift cannot be redeemed."""
    require(actor, Perm.GIFT_MANAGE)
    if status not in Gift.Status.values:
        raise ValidationFailed(_("Unknown gift status."), code="invalid_status", field="status")

    def perform() -> Gift:
        gift = gift_locked(gift_id)
        if gift.status == status:
            return gift
        before = gift.status
        gift.status = status
        gift.updated_at = timezone.now()
        gift.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="gift.delisted" if status == Gift.Status.DELISTED else "gift.listed",
            subject_type="gift",
            subject_id=gift.pk,
            before={"status": before},
            after={"status": status},
        )
        return gift

    return run_write(
        actor=actor,
        key=idempotency_key,
        kind="gift_status",
        payload={"gift_id": gift_id, "status": status},
        perform=perform,
        load=lambda pk: Gift.objects.get(pk=pk),
    )


def gift_restock(
    *, actor: Actor, gift_id: int, delta: int, reason: str, idempotency_key: str
) -> GiftMovement:
    """Put stock in (delta > 0, 入库) or write it off (delta < 0, 报损) with a reason."""
    require(actor, Perm.GIFT_MANAGE)
    if not isinstance(delta, int) or delta == 0 or abs(delta) > MAX_STOCK:
        raise ValidationFailed(
            _("Enter a non-zero whole quantity."), code="invalid_quantity", field="delta"
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason."), code="reason_required", field="reason")

    def perform() -> GiftMovement:
        gift = gift_locked(gift_id)
        before = gift.stock
        movement = stock_change(
            gift=gift,
            kind=GiftMovement.Kind.RESTOCK if delta > 0 else GiftMovement.Kind.WRITE_OFF,
            delta=delta,
            actor=actor,
            now=timezone.now(),
            reason=reason,
        )
        audit_record(
            actor=actor,
            action="gift.restocked" if delta > 0 else "gift.written_off",
            subject_type="gift",
            subject_id=gift.pk,
            before={"stock": before},
            after={"stock": gift.stock, "delta": delta},
            note=reason,
        )
        return movement

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="gift_restock",
        payload={"gift_id": gift_id, "delta": delta, "reason": reason},
        perform=perform,
        load=lambda pk: GiftMovement.objects.get(pk=pk),
    )
