"""Card selectors the API relies on: balances after an operation, paged entries."""

from __future__ import annotations

import pytest

from huiyuan.cards import selectors
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import card, key
from huiyuan.points.services import points_adjust
from huiyuan.wallet.services import wallet_recharge


@pytest.fixture
def history(owner, cashier):
    """A card with three operations: +¥100, +¥50, +200 points."""
    c = card(cashier, owner)
    ops = []
    for amount in (10000, 5000):
        recharge = wallet_recharge(
            actor=cashier, card_id=c.pk, amount_fen=amount, method="cash", idempotency_key=key()
        )
        ops.append(recharge.operation_id)
    ops.append(
        points_adjust(actor=owner, card_id=c.pk, delta=200, reason="x", idempotency_key=key()).pk
    )
    return c, ops


def test_balances_after_each_operation_stay_as_they_were(history):
    c, ops = history
    assert [selectors.card_balances_after(card_id=c.pk, operation_id=op) for op in ops] == [
        {"principal": 10000, "bonus": 0, "points": 0},
        {"principal": 15000, "bonus": 0, "points": 0},
        {"principal": 15000, "bonus": 0, "points": 200},
    ]
    assert selectors.card_balances_after(card_id=c.pk, operation_id=ops[0] - 1) == {
        "principal": 0,
        "bonus": 0,
        "points": 0,
    }


def test_entries_page_and_balances(history, actors):
    c, _ops = history
    count, page = selectors.card_entries_page(actor=actors[Role.MARKETER], card=c, limit=2)
    assert count == 3
    assert [(e.account.kind, e.delta, e.balance_after) for e in page] == [
        ("points", 200, 200),
        ("principal", 5000, 15000),
    ]
    _count, rest = selectors.card_entries_page(actor=actors[Role.MARKETER], card=c, offset=2)
    assert [(e.account.kind, e.delta) for e in rest] == [("principal", 10000)]
    balances = selectors.card_balances(c)
    assert (balances.principal, balances.points, balances.card.store.code) == (15000, 200, "S01")
