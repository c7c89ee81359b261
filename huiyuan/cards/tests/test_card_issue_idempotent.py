"""A retried card issue with the same key returns the same card."""

from __future__ import annotations

import pytest

from huiyuan.cards import services
from huiyuan.cards.models import Card
from huiyuan.ledger.errors import IdempotencyConflict
from huiyuan.ledger.tests.factories import card_type, member


def test_same_key_same_card_different_request_conflicts(owner, cashier):
    ctype = card_type(owner)
    holder = member(cashier)
    first = services.card_issue(
        actor=cashier, card_type_id=ctype.pk, member_id=holder.pk, idempotency_key="k1"
    )
    again = services.card_issue(
        actor=cashier, card_type_id=ctype.pk, member_id=holder.pk, idempotency_key="k1"
    )
    assert first.pk == again.pk
    assert Card.objects.count() == 1
    with pytest.raises(IdempotencyConflict):
        services.card_issue(
            actor=cashier,
            card_type_id=ctype.pk,
            member_id=holder.pk,
            number="123456789",
            idempotency_key="k1",
        )
    assert Card.objects.count() == 1
