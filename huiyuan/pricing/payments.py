"""Paying the payable: points offset, stored value (principal/bonus), the external rest.

Declared rules:

- Points pay in whole fen only: ``points × 100`` must divide by ``points_per_yuan``. They
  pay at most ``max_offset_percent`` of the payable, rounded down to the fen.
- Stored value is split between principal and unexpired bonus by the wallet's spend
  order, exactly as ``split_balance`` in ``huiyuan/checkout/services.py`` does.
- Whatever is left is paid externally (cash, bank card, WeChat/Alipay).
- Each payment is allocated to the lines by largest remainder (ties to the earlier line)
  in proportion to what each line still has to pay, in this order: points offset (by
  payable), points (by the offset each line got), principal, bonus; external is each
  line's rest. So every line is paid exactly, and a returned line knows what each payment
  gave it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from huiyuan.pricing.allocation import allocate
from huiyuan.pricing.errors import PricingError
from huiyuan.pricing.inputs import MemberSnapshot, PaymentPolicy, PaymentRequest, SpendOrder
from huiyuan.pricing.outputs import Reason


def split_balance(
    order: SpendOrder | str, amount: int, principal: int, bonus: int
) -> tuple[int, int]:
    """How much of ``amount`` comes from principal and from bonus under ``order``."""
    if amount > principal + bonus:
        raise PricingError("insufficient_balance", requested=amount, available=principal + bonus)
    if order == SpendOrder.BONUS_FIRST:
        from_bonus = min(bonus, amount)
        return amount - from_bonus, from_bonus
    if order == SpendOrder.PROPORTIONAL and principal + bonus:
        from_bonus = min(bonus, amount * bonus // (principal + bonus))
        from_principal = min(principal, amount - from_bonus)
        return from_principal, amount - from_principal
    from_principal = min(principal, amount)
    return from_principal, amount - from_principal


def offset_cap_fen(payable_fen: int, policy: PaymentPolicy) -> int:
    """The most fen points may pay of ``payable_fen``."""
    return payable_fen * policy.max_offset_percent // 100


def points_max(payable_fen: int, points_available: int, policy: PaymentPolicy) -> int:
    """The most points this payable may take: under the cap, the balance, in whole fen."""
    step = math.gcd(policy.points_per_yuan, 100)
    points_step, fen_step = policy.points_per_yuan // step, 100 // step
    steps = min(points_available // points_step, offset_cap_fen(payable_fen, policy) // fen_step)
    return max(0, steps) * points_step


@dataclass(frozen=True)
class LinePayments:
    points_offset_fen: int
    points_used: int
    principal_fen: int
    bonus_fen: int
    external_fen: int


@dataclass(frozen=True)
class PaymentPlan:
    points_used: int
    points_offset_fen: int
    principal_fen: int
    bonus_fen: int
    external_fen: int
    points_max: int
    lines: tuple[LinePayments, ...]
    notes: tuple[Reason, ...]


def _validate_policy(policy: PaymentPolicy) -> None:
    valid = (
        policy.points_per_yuan > 0
        and 0 <= policy.max_offset_percent <= 100
        and policy.spend_order in set(SpendOrder)
    )
    if not valid:
        raise PricingError("invalid_policy")


def _check_request(payable: int, member: MemberSnapshot | None, request: PaymentRequest) -> int:
    """Refuse what cannot be paid; the points offset in fen."""
    policy = request.policy
    points, balance = request.points, request.balance_fen
    if points < 0 or balance < 0:
        raise PricingError("invalid_amount")
    if not (points or balance):
        return 0
    if member is None or member.member_id is None:
        raise PricingError("card_required")
    if member.spend_frozen:
        raise PricingError("member_spend_frozen")
    if (points * 100) % policy.points_per_yuan:
        raise PricingError("invalid_points", points_per_yuan=policy.points_per_yuan)
    offset = points * 100 // policy.points_per_yuan
    if offset > offset_cap_fen(payable, policy):
        raise PricingError(
            "points_offset_too_high",
            max_offset_percent=policy.max_offset_percent,
            cap_fen=offset_cap_fen(payable, policy),
        )
    if offset + balance > payable:
        raise PricingError("overpaid", payable_fen=payable)
    if points > member.points_available:
        raise PricingError(
            "insufficient_points", requested=points, available=member.points_available
        )
    return offset


def plan_payment(
    payables: Sequence[int], member: MemberSnapshot | None, request: PaymentRequest
) -> PaymentPlan:
    """Check the request against the payable and the member, then allocate it to lines."""
    policy = request.policy
    _validate_policy(policy)
    payable = sum(payables)
    offset = _check_request(payable, member, request)
    principal = bonus = 0
    if request.balance_fen:
        assert member is not None
        principal, bonus = split_balance(
            policy.spend_order,
            request.balance_fen,
            member.principal_available,
            member.bonus_available,
        )
    offsets = allocate(offset, payables)
    points = allocate(request.points, offsets)
    left = [p - o for p, o in zip(payables, offsets, strict=True)]
    principals = allocate(principal, left)
    left = [rest - p for rest, p in zip(left, principals, strict=True)]
    bonuses = allocate(bonus, left)
    externals = [rest - b for rest, b in zip(left, bonuses, strict=True)]
    notes: list[Reason] = []
    if request.points:
        notes.append(
            Reason(
                "payment.points_offset",
                {
                    "points": request.points,
                    "amount_fen": offset,
                    "points_per_yuan": policy.points_per_yuan,
                    "max_offset_percent": policy.max_offset_percent,
                },
            )
        )
    if request.balance_fen:
        notes.append(
            Reason(
                "payment.balance_split",
                {
                    "amount_fen": request.balance_fen,
                    "principal_fen": principal,
                    "bonus_fen": bonus,
                    "spend_order": str(policy.spend_order),
                },
            )
        )
    can_pay = member is not None and member.member_id is not None and not member.spend_frozen
    available = member.points_available if member is not None and can_pay else 0
    return PaymentPlan(
        points_used=request.points,
        points_offset_fen=offset,
        principal_fen=principal,
        bonus_fen=bonus,
        external_fen=payable - offset - principal - bonus,
        points_max=points_max(payable, available, policy),
        lines=tuple(
            LinePayments(*parts)
            for parts in zip(offsets, points, principals, bonuses, externals, strict=True)
        ),
        notes=tuple(notes),
    )
