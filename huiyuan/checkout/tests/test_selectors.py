"""Sale selectors: by id or number, balances after the sale, a member's sales."""

from __future__ import annotations

from huiyuan.checkout import selectors
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import card, key
from huiyuan.wallet.services import wallet_recharge


def test_sale_reads(owner, cashier, actors):
    c = card(cashier, owner)
    wallet_recharge(
        actor=cashier, card_id=c.pk, amount_fen=10000, method="cash", idempotency_key=key()
    )
    first = sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=3000, card_id=c.pk, balance_fen=3000),
        idempotency_key=key(),
    )
    second = sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=1000, card_id=c.pk, balance_fen=1000),
        idempotency_key=key(),
    )
    walk_in = sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=500, external_method="cash"),
        idempotency_key=key(),
    )
    viewer = actors[Role.CALL_CENTER]
    assert selectors.sale_get(actor=viewer, sale_id=first.pk) == first
    assert selectors.sale_get(actor=viewer, number=f" {second.number} ") == second
    assert selectors.sale_get(actor=viewer, sale_id=999999) is None
    assert selectors.sale_balances_after(first) == {"principal": 7000, "bonus": 0, "points": 0}
    assert selectors.sale_balances_after(second) == {"principal": 6000, "bonus": 0, "points": 0}
    assert selectors.sale_balances_after(walk_in) is None
    assert selectors.member_sales(actor=viewer, member=c.member, limit=1) == [second]
