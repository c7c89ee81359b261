"""Revoking a manual points grant takes back exactly its lot, once."""

from __future__ import annotations

import pytest

from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.errors import DomainError
from huiyuan.ledger.errors import AlreadyReversed
from huiyuan.ledger.tests.factories import balances, card, key, lots
from huiyuan.ledger.verify import verify_ledger
from huiyuan.points.services import points_adjust, points_revoke


def test_revoke_takes_back_the_grant(owner, cashier):
    c = card(cashier, owner)
    keep = points_adjust(
        actor=owner, card_id=c.pk, delta=300, reason="生日礼", idempotency_key=key()
    )
    grant = points_adjust(
        actor=owner, card_id=c.pk, delta=200, reason="误发", idempotency_key=key()
    )
    points_revoke(actor=owner, operation_id=grant.pk, reason="误发积分", idempotency_key=key())
    assert balances(c)["points"] == 300
    assert lots(c) == [("points", 300, 300), ("points", 200, 0)]
    with pytest.raises(AlreadyReversed):
        points_revoke(actor=owner, operation_id=grant.pk, reason="again", idempotency_key=key())
    assert keep.pk != grant.pk
    assert verify_ledger().ok


def test_revoke_refused_when_spent_or_not_a_grant(owner, cashier):
    c = card(cashier, owner)
    grant = points_adjust(
        actor=owner, card_id=c.pk, delta=500, reason="活动", idempotency_key=key()
    )
    sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=2000, card_id=c.pk, points=500, external_method="cash"),
        idempotency_key=key(),
    )
    before = (balances(c), lots(c))
    with pytest.raises(DomainError) as err:
        points_revoke(actor=owner, operation_id=grant.pk, reason="x", idempotency_key=key())
    assert err.value.code == "points_already_used"
    assert (balances(c), lots(c)) == before
    points_adjust(actor=owner, card_id=c.pk, delta=10, reason="补", idempotency_key=key())
    deduction = points_adjust(
        actor=owner, card_id=c.pk, delta=-5, reason="扣", idempotency_key=key()
    )
    with pytest.raises(DomainError) as err:
        points_revoke(actor=owner, operation_id=deduction.pk, reason="x", idempotency_key=key())
    assert err.value.code == "points_grant_not_found"
    with pytest.raises(DomainError) as err:
        points_revoke(actor=cashier, operation_id=grant.pk, reason="x", idempotency_key=key())
    assert err.value.code == "permission_denied"
    assert balances(c)["points"] == 5
