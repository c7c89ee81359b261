"""The points lottery (积分抽奖): set it up, run it, draw, verify a draw.

A draw, in one transaction, decides under the locks in this order: the card's locks
(``card_lock``: member → card → card accounts), the lottery row, its prize rows by id, the
gift rows of its gift prizes by id. Prize stock and gift stock are read from the locked
rows only, so concurrent draws never give one prize more than its stock. The cost in points
leaves the card (``redeem``), a points prize arrives from the store's points-issued account
(``earn``-like, with the usual expiry), a gift prize becomes a redemption to pick up.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.cards.locks import card_lock
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.events.services import event_emit
from huiyuan.gifts import draws
from huiyuan.gifts.models import Draw, Gift, GiftMovement, Lottery, Prize, Redemption
from huiyuan.gifts.services.common import (
    MAX_STOCK,
    _for_update,
    member_may_spend_points,
    points_store_id,
    run_write,
    stock_change,
)
from huiyuan.ledger import services as ledger
from huiyuan.ledger.commands import command_run
from huiyuan.ledger.models import Account
from huiyuan.points.services import points_expires_at

MAX_COST = 1_000_000
MAX_WEIGHT = 1_000_000
MAX_PRIZES = 20


@dataclass(frozen=True)
class PrizeInput:
    kind: str
    weight: int
    name: str = ""
    gift_id: int | None = None
    points: int = 0
    stock: int | None = None


def _clean_prizes(prizes: list[PrizeInput]) -> list[PrizeInput]:
    if not prizes or len(prizes) > MAX_PRIZES:
        raise ValidationFailed(
            _("Declare from 1 to 20 prizes."), code="invalid_prizes", field="prizes"
        )
    gifts = Gift.objects.in_bulk([p.gift_id for p in prizes if p.gift_id])
    cleaned = []
    for i, p in enumerate(prizes):
        details = {"index": i}
        if p.kind not in Prize.Kind.values:
            raise ValidationFailed(
                _("Unknown prize kind."), code="invalid_prize_kind", details=details
            )
        if not isinstance(p.weight, int) or not 0 <= p.weight <= MAX_WEIGHT:
            raise ValidationFailed(
                _("A weight is a whole number from 0 to 1,000,000."),
                code="invalid_weight",
                details=details,
            )
        if p.stock is not None and (not isinstance(p.stock, int) or not 0 <= p.stock <= MAX_STOCK):
            raise ValidationFailed(_("Invalid prize stock."), code="invalid_stock", details=details)
        name = (p.name or "").strip()
        if p.kind == Prize.Kind.GIFT:
            if not p.gift_id:
                raise ValidationFailed(
                    _("Choose the prize's gift."), code="prize_gift_required", details=details
                )
            gift = gifts.get(p.gift_id)
            if gift is None:
                raise NotFound(_("Gift not found."), code="gift_not_found", details=details)
            name = name or gift.name
            cleaned.append(PrizeInput(p.kind, p.weight, name[:100], gift.pk, 0, p.stock))
        elif p.kind == Prize.Kind.POINTS:
            if not isinstance(p.points, int) or not 1 <= p.points <= MAX_COST:
                raise ValidationFailed(
                    _("A points prize gives 1 point or more."),
                    code="invalid_prize_points",
                    details=details,
                )
            name = name or str(_("%(points)s points") % {"points": p.points})
            cleaned.append(PrizeInput(p.kind, p.weight, name[:100], None, p.points, p.stock))
        else:
            name = name or str(_("Thanks for playing"))
            cleaned.append(PrizeInput(p.kind, p.weight, name[:100], None, 0, p.stock))
    if sum(p.weight for p in cleaned) <= 0:
        raise ValidationFailed(
            _("At least one prize needs a weight above zero."), code="invalid_weights"
        )
    return cleaned


def lottery_create(
    *,
    actor: Actor,
    name: str,
    cost_points: int,
    prizes: list[PrizeInput],
    idempotency_key: str | None = None,
) -> Lottery:
    """A draft lottery with its prizes in declared order and a fresh secret (committed)."""
    require(actor, Perm.GIFT_MANAGE)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Enter a name."), code="name_required", field="name")
    if not isinstance(cost_points, int) or not 0 <= cost_points <= MAX_COST:
        raise ValidationFailed(
            _("The cost is a whole number of points."), code="invalid_cost", field="cost_points"
        )
    cleaned = _clean_prizes(prizes)

    def perform() -> Lottery:
        secret = secrets.token_hex(32)
        lottery = Lottery.objects.create(
            name=name[:100],
            cost_points=cost_points,
            secret=secret,
            commitment=draws.commitment_of(secret),
            created_at=timezone.now(),
        )
        Prize.objects.bulk_create(
            [
                Prize(
                    lottery=lottery,
                    position=i + 1,
                    kind=p.kind,
                    name=p.name,
                    gift_id=p.gift_id,
                    points=p.points,
                    weight=p.weight,
                    stock=p.stock,
                )
                for i, p in enumerate(cleaned)
            ]
        )
        audit_record(
            actor=actor,
            action="lottery.created",
            subject_type="lottery",
            subject_id=lottery.pk,
            after={
                "name": lottery.name,
                "cost_points": cost_points,
                "commitment": lottery.commitment,
                "prizes": [[p.kind, p.weight, p.stock] for p in cleaned],
            },
        )
        return lottery

    return run_write(
        actor=actor,
        key=idempotency_key,
        kind="lottery_create",
        payload={
            "name": name,
            "cost_points": cost_points,
            "prizes": [p.__dict__ for p in cleaned],
        },
        perform=perform,
        load=lambda pk: Lottery.objects.get(pk=pk),
    )


def lottery_set_status(
    *, actor: Actor, lottery_id: int, status: str, idempotency_key: str | None = None
) -> Lottery:
    """Start a draft (draft → running) or end a running lottery (its secret is published)."""
    require(actor, Perm.GIFT_MANAGE)
    allowed: dict[str, str | None] = {
        Lottery.Status.ACTIVE: Lottery.Status.DRAFT,
        Lottery.Status.ENDED: None,
    }
    if status not in allowed:
        raise ValidationFailed(_("Unknown lottery status."), code="invalid_status")

    def perform() -> Lottery:
        lottery = _for_update(Lottery.objects.filter(pk=lottery_id)).first()
        if lottery is None:
            raise NotFound(_("Lottery not found."), code="lottery_not_found")
        if lottery.status == status:
            return lottery
        if lottery.status == Lottery.Status.ENDED or (
            allowed[status] is not None and lottery.status != allowed[status]
        ):
            raise Conflict(_("The lottery cannot move to that status."), code="invalid_transition")
        before = lottery.status
        lottery.status = status
        if status == Lottery.Status.ENDED:
            lottery.ended_at = timezone.now()
        lottery.save(update_fields=["status", "ended_at"])
        audit_record(
            actor=actor,
            action=f"lottery.{'started' if status == Lottery.Status.ACTIVE else 'ended'}",
            subject_type="lottery",
            subject_id=lottery.pk,
            before={"status": before},
            after={"status": status},
        )
        return lottery

    return run_write(
        actor=actor,
        key=idempotency_key,
        kind="lottery_status",
        payload={"lottery_id": lottery_id, "status": status},
        perform=perform,
        load=lambda pk: Lottery.objects.get(pk=pk),
    )


def prize_restock(
    *, actor: Actor, prize_id: int, delta: int, idempotency_key: str | None = None
) -> Prize:
    """Add to (or take from) a limited prize's stock, under the prize row's lock."""
    require(actor, Perm.GIFT_MANAGE)
    if not isinstance(delta, int) or delta == 0 or abs(delta) > MAX_STOCK:
        raise ValidationFailed(_("Enter a non-zero whole quantity."), code="invalid_quantity")

    def perform() -> Prize:
        prize = _for_update(Prize.objects.filter(pk=prize_id)).first()
        if prize is None:
            raise NotFound(_("Prize not found."), code="prize_not_found")
        if prize.stock is None:
            raise Conflict(_("This prize has no stock limit."), code="prize_unlimited")
        if not 0 <= prize.stock + delta <= MAX_STOCK:
            raise Conflict(_("Not enough of this prize in stock."), code="prize_out_of_stock")
        before = prize.stock
        prize.stock += delta
        prize.save(update_fields=["stock"])
        audit_record(
            actor=actor,
            action="lottery.prize_restocked",
            subject_type="lottery_prize",
            subject_id=prize.pk,
            before={"stock": before},
            after={"stock": prize.stock},
        )
        return prize

    return run_write(
        actor=actor,
        key=idempotency_key,
        kind="prize_restock",
        payload={"prize_id": prize_id, "delta": delta},
        perform=perform,
        load=lambda pk: Prize.objects.get(pk=pk),
    )


def _unavailable(prize: Prize, gifts: dict[int, Gift]) -> bool:
    if prize.stock is not None and prize.stock <= 0:
        return True
    if prize.kind == Prize.Kind.GIFT:
        gift = gifts[prize.gift_id or 0]
        return gift.stock < 1 or gift.status != Gift.Status.ACTIVE
    return False


def lottery_draw(*, actor: Actor, lottery_id: int, card_id: int, idempotency_key: str) -> Draw:
    """Draw once for the card: pay the cost in points, win what the seed says."""
    require(actor, Perm.GIFT_REDEEM)

    def perform() -> Draw:
        now = timezone.now()
        lock = card_lock(card_id, touch=now)
        member = member_may_spend_points(actor, lock, now)
        lottery = _for_update(Lottery.objects.filter(pk=lottery_id)).first()
        if lottery is None:
            raise NotFound(_("Lottery not found."), code="lottery_not_found")
        if lottery.status != Lottery.Status.ACTIVE:
            raise Conflict(_("This lottery is not running."), code="lottery_not_running")
        by_id = {p.pk: p for p in _for_update(lottery.prizes.order_by("pk"))}
        prizes = sorted(by_id.values(), key=lambda p: (p.position, p.pk))
        gift_ids = sorted({p.gift_id for p in prizes if p.gift_id})
        gifts = {g.pk: g for g in _for_update(Gift.objects.filter(pk__in=gift_ids).order_by("pk"))}
        weights = [(p.pk, p.weight) for p in prizes]
        out = sorted(p.pk for p in prizes if _unavailable(p, gifts))
        store_id = points_store_id(actor, lock)
        draw = Draw.objects.create(
            lottery=lottery,
            member_id=member.pk,
            card_id=lock.card.pk,
            store_id=store_id,
            weights=[list(w) for w in weights],
            out_of_stock=out,
            cost_points=lottery.cost_points,
            created_by=actor.staff,
            created_at=now,
        )
        result = draws.recompute(
            secret=lottery.secret,
            lottery_id=lottery.pk,
            draw_id=draw.pk,
            weights=weights,
            out_of_stock=out,
        )
        prize = by_id[result.awarded] if result.awarded is not None else None
        points_won = prize.points if prize and prize.kind == Prize.Kind.POINTS else 0
        operation = ledger.operation_post(
            actor=actor,
            kind="lottery_draw",
            moves=[
                ledger.Move(
                    kind="redeem",
                    source=lock.points,
                    target=ledger.store_account(Account.Kind.STORE_POINTS_REDEEMED, store_id),
                    amount=lottery.cost_points,
                ),
                ledger.Move(
                    kind="lottery_win",
                    source=ledger.store_account(Account.Kind.STORE_POINTS_ISSUED, store_id),
                    target=lock.points,
                    amount=points_won,
                    expires_at=points_expires_at(now),
                    lot_store_id=store_id,
                ),
            ],
            member_id=member.pk,
            card_id=lock.card.pk,
            store_id=store_id,
            memo=lottery.name,
            now=now,
            details={"lottery_id": lottery.pk, "draw_id": draw.pk},
            locked=lock.accounts,
        ).operation
        redemption = None
        if prize is not None:
            if prize.stock is not None:
                prize.stock -= 1
            prize.awarded += 1
            prize.save(update_fields=["stock", "awarded"])
            if prize.kind == Prize.Kind.GIFT:
                gift = gifts[prize.gift_id or 0]
                redemption = Redemption.objects.create(
                    gift=gift,
                    member_id=member.pk,
                    card_id=lock.card.pk,
                    store_id=store_id,
                    channel=Redemption.Channel.LOTTERY,
                    quantity=1,
                    points=0,
                    created_by=actor.staff,
                    created_at=now,
                )
                stock_change(
                    gift=gift,
                    kind=GiftMovement.Kind.LOTTERY,
                    delta=-1,
                    actor=actor,
                    now=now,
                    redemption=redemption,
                    store_id=store_id,
                    reason=lottery.name,
                )
        draw.seed, draw.roll = result.seed, str(result.roll)
        draw.picked_id = result.picked
        draw.prize = prize
        draw.points_won = points_won
        draw.operation_id = operation.pk
        draw.redemption = redemption
        draw.save(
            update_fields=[
                "seed",
                "roll",
                "picked",
                "prize",
                "points_won",
                "operation_id",
                "redemption",
            ]
        )
        audit_record(
            actor=actor,
            action="lottery.drawn",
            subject_type="lottery_draw",
            subject_id=draw.pk,
            member_id=member.pk,
            after={
                "lottery": lottery.pk,
                "seed": result.seed,
                "picked": result.picked,
                "prize": prize.pk if prize else None,
                "cost_points": lottery.cost_points,
                "points_won": points_won,
            },
            store_id=store_id,
        )
        event_emit(
            "lottery.drawn",
            payload={
                "draw_id": draw.pk,
                "lottery_id": lottery.pk,
                "card_id": lock.card.pk,
                "operation_id": operation.pk,
                "prize_id": prize.pk if prize else None,
                "prize_kind": prize.kind if prize else Prize.Kind.NOTHING,
                "points_cost": lottery.cost_points,
                "points_won": points_won,
            },
            member_id=member.pk,
            store_id=store_id,
        )
        return draw

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="lottery_draw",
        payload={"lottery_id": lottery_id, "card_id": card_id},
        perform=perform,
        load=lambda pk: Draw.objects.select_related("prize", "lottery").get(pk=pk),
    )


@dataclass(frozen=True)
class DrawCheck:
    ok: bool
    seed_ok: bool
    picked_ok: bool
    prize_ok: bool
    recomputed: draws.Recomputed


def draw_verify(draw: Draw, *, secret: str | None = None) -> DrawCheck:
    """Recompute a draw from its seed inputs and compare with what was recorded.

    ``secret``: the lottery's published secret (after it ended); by default the stored one.
    """
    secret = secret if secret is not None else draw.lottery.secret
    weights = [(int(pid), int(w)) for pid, w in draw.weights]
    again = draws.recompute(
        secret=secret,
        lottery_id=draw.lottery_id,
        draw_id=draw.pk,
        weights=weights,
        out_of_stock=set(draw.out_of_stock),
    )
    seed_ok = (
        draws.commitment_of(secret) == draw.lottery.commitment
        and again.seed == draw.seed
        and str(again.roll) == draw.roll
    )
    picked_ok = again.picked == draw.picked_id
    prize_ok = again.awarded == draw.prize_id
    return DrawCheck(
        ok=seed_ok and picked_ok and prize_ok,
        seed_ok=seed_ok,
        picked_ok=picked_ok,
        prize_ok=prize_ok,
        recomputed=again,
    )
