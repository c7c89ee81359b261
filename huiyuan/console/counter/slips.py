"""The recharge slip (充值小票): printed on 58 mm or 80 mm thermal paper like a sale receipt,
with the card number and the member's name masked."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from huiyuan.cards.selectors import card_balances_after
from huiyuan.console.context import request_actor
from huiyuan.console.counter.basket import mask_card, mask_name
from huiyuan.console.counter.pages import render_page
from huiyuan.console.views import staff_view
from huiyuan.wallet import selectors as wallet_selectors
from huiyuan.wallet.models import PaymentMethod


@staff_view
def recharge_slip(request: HttpRequest, recharge_id: int) -> HttpResponse:
    actor = request_actor(request)
    recharge = wallet_selectors.recharge_for_slip(actor=actor, recharge_id=recharge_id)
    if recharge is None:
        raise Http404
    member = recharge.card.member
    return render_page(
        request,
        "recharge_slip.html",
        {
            "recharge": recharge,
            "masked_card": mask_card(recharge.card.number),
            "masked_name": mask_name(member.name) if member is not None else "",
            "method_label": dict(PaymentMethod.choices).get(recharge.method, recharge.method),
            "after": card_balances_after(
                card_id=recharge.card_id, operation_id=recharge.operation_id
            ),
            "cashier": recharge.operation.operator,
        },
    )
