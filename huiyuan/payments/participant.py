"""The payment PIN takes part in every sale (``checkout.hooks``): it may refuse one."""

from __future__ import annotations

from huiyuan.cards.models import Card
from huiyuan.checkout import hooks
from huiyuan.payments.services.pin import PinWrong, pin_check, pin_failure_record


class PinParticipant(hooks.Participant):
    name = "payment_pin"

    def sale_completed(self, done: hooks.SaleDone) -> None:
        member = done.lock.member if done.lock else None
        if member is None:
            return
        spend = done.sale.paid_principal_fen + done.sale.paid_bonus_fen
        pin_check(member_id=member.pk, pin=done.pin, spend_fen=spend)

    def sale_refused(self, refused: hooks.SaleRefused) -> None:
        if not isinstance(refused.error, PinWrong) or refused.card_id is None:
            return
        member_id = (
            Card.objects.filter(pk=refused.card_id).values_list("member_id", flat=True).first()
        )
        if member_id is not None:
            pin_failure_record(actor=refused.actor, member_id=member_id)
