"""Fixtures of the payment tests: the sandbox enabled, a member's card, packages."""

from __future__ import annotations

import pytest

from huiyuan.cards.models import Card
from huiyuan.ledger.tests.factories import card, key
from huiyuan.selfservice.actor import MemberActor
from huiyuan.wallet.services import recharge_package_create, wallet_recharge


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.PAYMENTS_PROVIDERS = ["sandbox"]
    settings.PAYMENTS_SANDBOX_KEY = "sandbox-test-key"


@pytest.fixture
def member_card(cashier, owner) -> Card:
    return card(cashier, owner)


@pytest.fixture
def me(member_card) -> MemberActor:
    return MemberActor(member_id=member_card.member_id)


@pytest.fixture
def topped_up(member_card, cashier) -> Card:
    """The member's card with ¥500 of principal, recharged at the counter."""
    wallet_recharge(
        actor=cashier,
        card_id=member_card.pk,
        amount_fen=50_000,
        method="cash",
        idempotency_key=key(),
    )
    return member_card


@pytest.fixture
def package_500(owner):
    return recharge_package_create(actor=owner, name="充500送50", pay_fen=50_000, bonus_fen=5_000)
