"""Referral fixtures: a policy, a chain of members who referred each other, a product."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from huiyuan.cards.models import Card
from huiyuan.catalog import services as catalog
from huiyuan.catalog.models import Product
from huiyuan.checkout.models import Sale
from huiyuan.checkout.services import BasketSaleInput, ExternalPayment, SaleLineInput, sale_complete
from huiyuan.ledger.tests.factories import card, key
from huiyuan.members.models import Member
from huiyuan.members.services import MemberInput, member_register
from huiyuan.referrals.services import PolicyInput, policy_update

_mobiles = itertools.count(13_900_000_000)


@dataclass
class Chain:
    """甲 referred 乙, 乙 referred 丙, 丙 referred 丁; each holds a card."""

    members: list[Member]
    cards: list[Card]


@pytest.fixture
def policy(owner):
    return policy_update(
        actor=owner,
        data=PolicyInput(
            join_points=100,
            first_purchase_points=50,
            levels=2,
            level1_bp=500,  # 5%
            level2_bp=200,  # 2%
            level3_bp=100,
            hold_days=7,
        ),
    )


def join(cashier, name: str, referrer: Member | None) -> Member:
    return member_register(
        actor=cashier,
        data=MemberInput(
            name=name,
            mobile=str(next(_mobiles)),
            referrer_code=referrer.code if referrer else "",
        ),
        channel="store",
    )


@pytest.fixture
def chain(cashier, owner, policy) -> Chain:
    members: list[Member] = []
    cards: list[Card] = []
    for name in ("甲", "乙", "丙", "丁"):
        member = join(cashier, name, members[-1] if members else None)
        members.append(member)
        cards.append(card(cashier, owner, holder=member))
    return Chain(members=members, cards=cards)


@pytest.fixture
def product(owner) -> Product:
    return catalog.product_create(
        actor=owner, data=catalog.ProductInput(sku="GOODS", name="商品", list_price_fen=10000)
    )


SellFn = Callable[..., Sale]


@pytest.fixture
def sell(cashier, product) -> SellFn:
    def make(card_obj: Card, quantity: int = 1) -> Sale:
        return sale_complete(
            actor=cashier,
            data=BasketSaleInput(
                lines=(SaleLineInput(product_id=product.pk, quantity_milli=quantity * 1000),),
                card_id=card_obj.pk,
                payments=(ExternalPayment("cash", 10000 * quantity),),
            ),
            idempotency_key=key(),
        )

    return make
