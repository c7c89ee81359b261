"""Fixtures of the activity tests: cards with stored value, activities made through services."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from huiyuan.activities import services
from huiyuan.activities.models import Activity
from huiyuan.cards.models import Card
from huiyuan.ledger.tests.factories import card, key
from huiyuan.wallet.services import wallet_recharge


@pytest.fixture
def card_with_money(cashier, owner) -> Callable[..., Card]:
    def make(fen: int = 10_000) -> Card:
        c = card(cashier, owner)
        if fen:
            wallet_recharge(
                actor=cashier, card_id=c.pk, amount_fen=fen, method="cash", idempotency_key=key()
            )
        return c

    return make


_codes = itertools.count(1)


@pytest.fixture
def make_activity(owner) -> Callable[..., Activity]:
    def make(*, publish: bool = True, **extra: Any) -> Activity:
        starts = extra.pop("starts_at", timezone.now() + dt.timedelta(days=3))
        data = services.ActivityInput(
            code=extra.pop("code", f"A{next(_codes):03d}"),
            name=extra.pop("name", "亲子烘焙课"),
            kind=extra.pop("kind", Activity.Kind.SIGNUP),
            starts_at=starts,
            ends_at=extra.pop("ends_at", starts + dt.timedelta(hours=2)),
            capacity=extra.pop("capacity", 2),
            **extra,
        )
        activity = services.activity_create(actor=owner, data=data)
        if publish:
            activity = services.activity_publish(actor=owner, activity_id=activity.pk)
        return activity

    return make
