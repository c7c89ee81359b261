"""Fixtures of the gift tests: cards with points and gifts, made through services."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from huiyuan.cards.models import Card
from huiyuan.gifts import services
from huiyuan.gifts.models import Gift
from huiyuan.ledger.tests.factories import card, key
from huiyuan.points.services import points_adjust


@pytest.fixture
def card_with_points(cashier, owner) -> Callable[..., Card]:
    def make(points: int = 1000) -> Card:
        c = card(cashier, owner)
        if points:
            points_adjust(
                actor=owner, card_id=c.pk, delta=points, reason="开卡赠送", idempotency_key=key()
            )
        return c

    return make


@pytest.fixture
def make_gift(owner) -> Callable[..., Gift]:
    counter = iter(range(1, 10_000))

    def make(
        *, points: int = 300, stock: int = 10, cash_fen: int = 0, name: str = "保温杯"
    ) -> Gift:
        n = next(counter)
        return services.gift_create(
            actor=owner,
            data=services.GiftInput(
                code=f"G{n:03d}", name=name, points_price=points, cash_fen=cash_fen
            ),
            stock=stock,
        )

    return make
