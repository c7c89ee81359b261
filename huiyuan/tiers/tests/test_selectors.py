"""Tier selectors: the ladder and a member's changes."""

from __future__ import annotations

from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import member
from huiyuan.tiers import selectors
from huiyuan.tiers.services import tier_create, tier_move


def test_tier_list_and_history(owner, actors):
    gold = tier_create(actor=owner, code="gold", name="金卡", level=2)
    silver = tier_create(actor=owner, code="silver", name="银卡", level=1)
    assert selectors.tier_list() == [silver, gold]
    m = member(actors[Role.CASHIER])
    tier_move(actor=owner, member_id=m.pk, tier_id=silver.pk, reason="a")
    tier_move(actor=owner, member_id=m.pk, tier_id=gold.pk, reason="b")
    changes = selectors.tier_history(actor=actors[Role.MARKETER], member=m)
    assert [(c.from_tier, c.to_tier, c.reason) for c in changes] == [
        (silver, gold, "b"),
        (None, silver, "a"),
    ]
