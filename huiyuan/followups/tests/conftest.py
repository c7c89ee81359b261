"""Fixtures of the follow-up tests: members, cards and sales made through services."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from huiyuan.cards.models import Card
from huiyuan.checkout.models import Sale
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.ledger.tests.factories import card, key


@pytest.fixture
def member_card(cashier, owner) -> Callable[[], Card]:
    def make() -> Card:
        return card(cashier, owner)

    return make


@pytest.fixture
def sell(cashier) -> Callable[..., Sale]:
    def make(c: Card, amount_fen: int = 5000) -> Sale:
        return sale_quick(
            actor=cashier,
            data=QuickSaleInput(amount_fen=amount_fen, card_id=c.pk, external_method="cash"),
            idempotency_key=key(),
        )

    return make
