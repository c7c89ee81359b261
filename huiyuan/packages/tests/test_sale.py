"""Selling packages at checkout: opened in the sale's transaction, refused without a card,
cancelled by a return or a reversal when unused, a return refused when used."""

from __future__ import annotations

import pytest
from django.utils import translation

from huiyuan.checkout.models import Sale, SaleLine
from huiyuan.checkout.services import (
    BasketSaleInput,
    ExternalPayment,
    SaleLineInput,
    sale_complete,
    sale_quote_basket,
    sale_return,
    sale_reverse,
)
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Role
from huiyuan.events.models import OutboxEvent
from huiyuan.ledger.tests.factories import key
from huiyuan.packages.models import MemberPackage
from huiyuan.packages.services import package_use
from huiyuan.packages.tests.conftest import packages_of


def test_a_sale_opens_one_package_per_unit_for_the_member(plan_set, member_card, sell):
    sale = sell(plan_set.swim10, member_card, quantity=3)
    opened = packages_of(sale)
    assert len(opened) == 3
    assert {p.member_id for p in opened} == {member_card.member_id}
    assert {p.card_id for p in opened} == {member_card.pk}
    assert sum(p.paid_fen for p in opened) == 90000
    assert [[(i.name, i.total, i.used) for i in p.items.all()] for p in opened] == [
        [("游泳", 10, 0)]
    ] * 3
    first = opened[0]
    assert first.valid_from is not None
    assert (first.valid_until - first.valid_from).days == 89  # 90 days, both ends included
    assert OutboxEvent.objects.filter(name="package.opened").count() == 3


def test_shares_of_a_line_add_up_to_what_it_cost(plan_set, member_card, cashier):
    sale = sale_complete(
        actor=cashier,
        data=BasketSaleInput(
            lines=(SaleLineInput(product_id=plan_set.swim10.product_id, quantity_milli=3000),),
            card_id=member_card.pk,
            payments=(ExternalPayment("cash", 90000),),
        ),
        idempotency_key=key(),
    )
    assert [p.paid_fen for p in packages_of(sale)] == [30000, 30000, 30000]


def test_a_plan_product_without_a_card_is_warned_then_refused(plan_set, cashier):
    data = BasketSaleInput(
        lines=(SaleLineInput(product_id=plan_set.swim10.product_id, quantity_milli=1000),),
        payments=(ExternalPayment("cash", 30000),),
    )
    quote = sale_quote_basket(actor=cashier, data=data)
    assert [n.code for n in quote.participant_notes] == ["package.needs_member"]
    sales = Sale.objects.count()
    with pytest.raises(DomainError) as refused:
        sale_complete(actor=cashier, data=data, idempotency_key=key())
    assert refused.value.code == "package_needs_member"
    assert Sale.objects.count() == sales
    assert MemberPackage.objects.count() == 0


def test_the_quote_says_what_opens(plan_set, member_card, cashier):
    quote = sale_quote_basket(
        actor=cashier,
        data=BasketSaleInput(
            lines=(SaleLineInput(product_id=plan_set.course.product_id, quantity_milli=2000),),
            card_id=member_card.pk,
            payments=(ExternalPayment("cash", 200000),),
        ),
    )
    assert [(n.code, n.params["count"]) for n in quote.participant_notes] == [("package.opens", 2)]


def test_returning_unused_packages_cancels_them(plan_set, member_card, sell, actors):
    sale = sell(plan_set.swim10, member_card, quantity=2)
    line = SaleLine.objects.get(sale=sale)
    sale_return(
        actor=actors[Role.STORE_MANAGER],
        sale_id=sale.pk,
        lines=[(line.pk, 1000)],
        reason="买多了",
        idempotency_key=key(),
    )
    statuses = [p.status for p in packages_of(sale)]
    assert statuses == [MemberPackage.Status.ACTIVE, MemberPackage.Status.CANCELLED]
    assert OutboxEvent.objects.filter(name="package.cancelled").count() == 1


def test_a_used_package_refuses_its_return_and_nothing_changes(
    plan_set, member_card, sell, actors, cashier
):
    sale = sell(plan_set.swim10, member_card, quantity=1)
    package = packages_of(sale)[0]
    package_use(actor=cashier, package_id=package.pk, idempotency_key=key())
    line = SaleLine.objects.get(sale=sale)
    with pytest.raises(DomainError) as refused:
        sale_return(
            actor=actors[Role.STORE_MANAGER],
            sale_id=sale.pk,
            lines=[(line.pk, 1000)],
            reason="不想要了",
            idempotency_key=key(),
        )
    assert refused.value.code == "package_partly_used"
    with translation.override("zh-hans"):
        assert str(refused.value.message) == (
            "游泳10次卡 已使用或已退卡，不能退货；请改为退还未使用部分。"
        )
    line.refresh_from_db()
    assert line.returned_milli == 0
    package.refresh_from_db()
    assert package.status == MemberPackage.Status.ACTIVE


def test_a_reversal_cancels_every_unused_package(plan_set, member_card, sell, actors):
    sale = sell(plan_set.course, member_card, quantity=2)
    sale_reverse(
        actor=actors[Role.STORE_MANAGER], sale_id=sale.pk, reason="冲正", idempotency_key=key()
    )
    assert {p.status for p in packages_of(sale)} == {MemberPackage.Status.CANCELLED}


def test_an_inactive_plan_cannot_be_sold(plan_set, member_card, sell):
    plan_set.swim10.active = False
    plan_set.swim10.save()
    with pytest.raises(DomainError) as refused:
        sell(plan_set.swim10, member_card)
    assert refused.value.code == "plan_not_on_sale"
    assert MemberPackage.objects.count() == 0
