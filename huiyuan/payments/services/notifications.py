"""A provider's notification: verified, checked against the order, booked once.

Every notification is recorded (``PaymentNotification``) with what we made of it. Only a
notification with the provider's valid signature, for an order we know, of exactly the
order's amount, reporting a successful payment, books the recharge — through the
counter's ``wallet_recharge`` under the order's row lock and an idempotency key derived
from the order (``online-order:<number>``), so the second notification of the same payment
changes nothing and the balance rises once. A refused notification changes no order and
no balance.

Lock order: the order row, then (inside ``wallet_recharge``) the card's locks.
Refunding a payment whose recharge was refused, or a second payment of a paid order, is
not done here: the order and its notification say so for the merchant to handle.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.benefits.services import benefit_sell_online
from huiyuan.core.errors import Conflict, DomainError
from huiyuan.events.services import event_emit
from huiyuan.payments.models import OnlineOrder, PaymentNotification, Provider
from huiyuan.payments.providers import provider_get
from huiyuan.payments.providers.base import Acknowledgement, Incoming, PaidNotice
from huiyuan.payments.services.common import booking_actor
from huiyuan.wallet.models import PaymentMethod
from huiyuan.wallet.services import wallet_recharge

log = logging.getLogger(__name__)

Outcome = PaymentNotification.Outcome
# Outcomes after which the provider may stop sending: the notification was dealt with.
SETTLED = {Outcome.ACCEPTED, Outcome.REPEATED, Outcome.OTHER_PAYMENT, Outcome.RECHARGE_REFUSED}
METHODS = {
    Provider.SANDBOX: PaymentMethod.ONLINE,
    Provider.WECHAT: PaymentMethod.WECHAT,
    Provider.ALIPAY: PaymentMethod.ALIPAY,
}


@dataclass(frozen=True)
class Received:
    outcome: str
    order: OnlineOrder | None
    acknowledgement: Acknowledgement


def recharge_key(order: OnlineOrder) -> str:
    return f"online-order:{order.number}"


def _record(
    provider: str,
    outcome: str,
    *,
    notice: PaidNotice | None = None,
    order: OnlineOrder | None = None,
    detail: str = "",
) -> None:
    PaymentNotification.objects.create(
        provider=provider,
        order=order,
        order_number=(notice.order_number if notice else "")[:64],
        provider_trade_no=(notice.trade_no if notice else "")[:64],
        amount_fen=notice.amount_fen if notice else None,
        outcome=outcome,
        detail=detail[:200],
        received_at=timezone.now(),
    )


def _book(order: OnlineOrder, notice: PaidNotice, provider: str) -> str:
    """Book a verified payment of ``order`` (locked, pending) as a recharge."""
    actor = booking_actor(order.store_id)
    now = timezone.now()
    before = {"status": order.status}
    try:
        with transaction.atomic():  # a refusal rolls back what the booking wrote
            if order.purpose == OnlineOrder.Purpose.RECHARGE:
                recharge = wallet_recharge(
                    actor=actor,
                    card_id=order.card_id,
                    amount_fen=order.amount_fen,
                    method=METHODS[Provider(provider)],
                    idempotency_key=recharge_key(order),
                    package_id=order.package_id,
                )
                order.recharge = recharge
                order.bonus_fen = recharge.bonus_fen
            else:
                # A benefit card bought or renewed: the benefits service decides under the
                # member's lock (opens, or renews the card of the same plan) — once per order.
                if order.member_id is None or order.benefit_plan_id is None:
                    raise Conflict(_("The member is not active."), code="member_not_active")
                benefit = benefit_sell_online(
                    actor=actor,
                    plan_id=order.benefit_plan_id,
                    member_id=order.member_id,
                    card_id=order.card_id,
                    store_id=order.store_id,
                    amount_fen=order.amount_fen,
                    method=METHODS[Provider(provider)],
                    idempotency_key=recharge_key(order),
                )
                order.benefit = benefit
    except DomainError as refusal:
        # Paid, but the counter's rules refuse it now (the card was frozen, the limit
        # reached, another benefit card bought meanwhile): the order says so; the money goes
        # back by hand (out of scope).
        order.status = OnlineOrder.Status.FAILED
        order.failure_code = refusal.code[:60]
        outcome = Outcome.RECHARGE_REFUSED
    else:
        order.status = OnlineOrder.Status.PAID
        outcome = Outcome.ACCEPTED
    order.provider_trade_no = notice.trade_no[:64]
    order.paid_at = now
    order.save(
        update_fields=[
            "status",
            "failure_code",
            "recharge",
            "bonus_fen",
            "benefit",
            "provider_trade_no",
            "paid_at",
        ]
    )
    audit_record(
        actor=actor,
        action="online_order.paid" if outcome == Outcome.ACCEPTED else "online_order.failed",
        subject_type="online_order",
        subject_id=order.pk,
        member_id=order.member_id,
        before=before,
        after={
            "status": order.status,
            "trade_no": order.provider_trade_no,
            "amount": order.amount_fen,
            "failure": order.failure_code,
            "purpose": order.purpose,
            "benefit": order.benefit_id,
        },
    )
    event_emit(
        "online_order.paid" if outcome == Outcome.ACCEPTED else "online_order.failed",
        payload={
            "order_id": order.pk,
            "card_id": order.card_id,
            "amount_fen": order.amount_fen,
            "provider": provider,
            "recharge_id": order.recharge_id,
        },
        member_id=order.member_id,
        store_id=order.store_id,
    )
    return outcome


def _apply(provider: str, notice: PaidNotice) -> tuple[str, OnlineOrder | None]:
    order = (
        OnlineOrder.objects.select_for_update()
        .filter(number=notice.order_number, provider=provider)
        .first()
    )
    if order is None:
        _record(provider, Outcome.UNKNOWN_ORDER, notice=notice)
        return Outcome.UNKNOWN_ORDER, None
    if notice.amount_fen != order.amount_fen:
        _record(
            provider,
            Outcome.AMOUNT_MISMATCH,
            notice=notice,
            order=order,
            detail=f"order {order.amount_fen}, notified {notice.amount_fen}",
        )
        return Outcome.AMOUNT_MISMATCH, order
    if not notice.paid:
        _record(provider, Outcome.NOT_PAID, notice=notice, order=order)
        return Outcome.NOT_PAID, order
    if order.status != OnlineOrder.Status.PENDING:
        outcome = (
            Outcome.REPEATED
            if notice.trade_no == order.provider_trade_no
            else Outcome.OTHER_PAYMENT
        )
        _record(provider, outcome, notice=notice, order=order)
        return outcome, order
    booked = _book(order, notice, provider)
    _record(provider, booked, notice=notice, order=order)
    return booked, order


def notification_receive(*, provider: str, incoming: Incoming) -> Received:
    """Verify, check and (once) book one notification; say what to answer the provider."""
    adapter = provider_get(provider)
    if not adapter.notification_verify(incoming):
        with transaction.atomic():
            _record(provider, Outcome.BAD_SIGNATURE)
        log.warning("payment notification with a bad signature from %s", provider)
        return Received(Outcome.BAD_SIGNATURE, None, adapter.acknowledge(False))
    try:
        notice = adapter.notification_parse(incoming)
    except (ValueError, KeyError, TypeError, DomainError):
        with transaction.atomic():
            _record(provider, Outcome.NOT_PAID, detail="malformed")
        return Received(Outcome.NOT_PAID, None, adapter.acknowledge(False))
    with transaction.atomic():
        outcome, order = _apply(provider, notice)
    return Received(outcome, order, adapter.acknowledge(outcome in SETTLED))
