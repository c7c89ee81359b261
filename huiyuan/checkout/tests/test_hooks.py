"""Sale participants (checkout.hooks): called inside the sale's transaction with its lines,
on returns and reversals; a participant that refuses refuses the whole sale."""

from __future__ import annotations

import pytest

from huiyuan.checkout import hooks
from huiyuan.checkout.models import SaleLine
from huiyuan.checkout.services import (
    BasketSaleInput,
    ExternalPayment,
    SaleLineInput,
    sale_complete,
    sale_quote_basket,
    sale_return,
    sale_reverse,
)
from huiyuan.checkout.tests.conftest import snapshot
from huiyuan.core.errors import Conflict, DomainError
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import key


class Recorder(hooks.Participant):
    name = "test-recorder"

    def __init__(self, refuse_sku: str = "") -> None:
        self.calls: list[tuple[str, object]] = []
        self.refuse_sku = refuse_sku

    def quote_notes(self, context: hooks.QuoteContext) -> list[hooks.Note]:
        for line in context.lines:
            if line.sku == self.refuse_sku and context.completing:
                raise Conflict("out of stock", code="test_refused")
        return [
            hooks.Note(code="test.seen", message="seen", line_id=line.line_id)
            for line in context.lines
        ]

    def sale_completed(self, done: hooks.SaleDone) -> None:
        self.calls.append(("sale", [(line.pk, line.sku) for line in done.lines]))

    def sale_returned(self, done: hooks.ReturnDone) -> None:
        self.calls.append(("return", [(line.pk, row.quantity_milli) for line, row in done.lines]))

    def sale_reversed(self, done: hooks.ReversalDone) -> None:
        self.calls.append(("reverse", sorted(line.pk for line in done.lines)))


@pytest.fixture
def recorder():
    saved = list(hooks._PARTICIPANTS)
    participant = Recorder(refuse_sku="B001")
    hooks.register(participant)
    yield participant
    hooks._PARTICIPANTS[:] = saved


def basket(*lines: SaleLineInput, **extra) -> BasketSaleInput:
    return BasketSaleInput(lines=lines, **extra)


def test_participants_see_the_sale_its_return_and_its_reversal(shop, cashier, actors, recorder):
    data = basket(
        SaleLineInput(product_id=shop.coffee.pk, quantity_milli=2000),
        SaleLineInput(product_id=shop.tea.pk, quantity_milli=1000),
        payments=(ExternalPayment("cash", 6850),),
    )
    quote = sale_quote_basket(actor=cashier, data=data)
    assert [(n.code, n.line_id) for n in quote.participant_notes] == [
        ("test.seen", 1),
        ("test.seen", 2),
    ]
    sale = sale_complete(actor=cashier, data=data, idempotency_key=key())
    lines = list(SaleLine.objects.filter(sale=sale).order_by("position"))
    assert recorder.calls == [("sale", [(lines[0].pk, "A001"), (lines[1].pk, "A002")])]
    assert [n["code"] for n in sale.notes if n["code"] == "test.seen"] == ["test.seen"] * 2

    manager = actors[Role.STORE_MANAGER]
    sale_return(
        actor=manager,
        sale_id=sale.pk,
        lines=[(lines[0].pk, 1000)],
        reason="退一杯",
        idempotency_key=key(),
    )
    assert recorder.calls[-1] == ("return", [(lines[0].pk, 1000)])


def test_a_reversal_tells_participants_every_line(shop, cashier, actors, recorder):
    sale = sale_complete(
        actor=cashier,
        data=basket(
            SaleLineInput(product_id=shop.tea.pk, quantity_milli=1000),
            payments=(ExternalPayment("cash", 1250),),
        ),
        idempotency_key=key(),
    )
    sale_reverse(
        actor=actors[Role.STORE_MANAGER], sale_id=sale.pk, reason="冲正", idempotency_key=key()
    )
    line = SaleLine.objects.get(sale=sale)
    assert recorder.calls[-1] == ("reverse", [line.pk])


def test_a_participant_refusing_refuses_the_whole_sale(shop, cashier, funded, recorder):
    before = snapshot(funded)
    with pytest.raises(DomainError) as refused:
        sale_complete(
            actor=cashier,
            data=basket(
                SaleLineInput(product_id=shop.coffee.pk, quantity_milli=1000),
                SaleLineInput(product_id=shop.cake.pk, quantity_milli=1000),
                card_id=funded.pk,
                balance_fen=4790,
            ),
            idempotency_key=key(),
        )
    assert refused.value.code == "test_refused"
    assert snapshot(funded) == before
    assert recorder.calls == []


def test_an_unknown_associate_is_refused(shop, cashier):
    with pytest.raises(DomainError) as refused:
        sale_complete(
            actor=cashier,
            data=basket(
                SaleLineInput(product_id=shop.tea.pk, quantity_milli=1000),
                payments=(ExternalPayment("cash", 1250),),
                associate_id=999_999,
            ),
            idempotency_key=key(),
        )
    assert refused.value.code == "associate_not_found"


def test_the_associate_is_recorded(shop, cashier):
    sale = sale_complete(
        actor=cashier,
        data=basket(
            SaleLineInput(product_id=shop.tea.pk, quantity_milli=1000),
            payments=(ExternalPayment("cash", 1250),),
            associate_id=cashier.staff.pk,
        ),
        idempotency_key=key(),
    )
    assert sale.associate_id == cashier.staff.pk
