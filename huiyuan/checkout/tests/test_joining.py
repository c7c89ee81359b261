"""Automatic joining (M2) and enrolment on the spot: who joins with which sale, the joining
fee as a line, an existing mobile never registered twice, the quote equal to the sale."""

from __future__ import annotations

import pytest

from huiyuan.audit.models import AuditEvent
from huiyuan.cards.models import Card
from huiyuan.checkout.models import JoiningPolicy, Sale, SaleLine
from huiyuan.checkout.services import (
    BasketSaleInput,
    EnrolRequest,
    ExternalPayment,
    SaleLineInput,
    joining_policy_set,
    sale_complete,
    sale_quote_basket,
)
from huiyuan.core.errors import DomainError
from huiyuan.ledger.models import Account
from huiyuan.ledger.tests.factories import card_type, default_rule, key
from huiyuan.members.models import Member

MOBILE = "13912345678"


def tea(shop, quantity: int = 1) -> SaleLineInput:
    return SaleLineInput(product_id=shop.tea.pk, quantity_milli=quantity * 1000)


def walk_in(shop, method="cash", amount=1250, enrol=None, quantity=1) -> BasketSaleInput:
    return BasketSaleInput(
        lines=(tea(shop, quantity),),
        payments=(ExternalPayment(method, amount),),
        enrol=enrol,
    )


@pytest.fixture
def named_type(owner):
    return card_type(owner)


def points_of(member: Member) -> int:
    card = Card.objects.get(member=member)
    return Account.objects.get(card_id=card.pk, kind=Account.Kind.POINTS).balance


def test_without_a_policy_a_mobile_alone_enrols_nobody(shop, cashier, named_type):
    sale = sale_complete(
        actor=cashier, data=walk_in(shop, enrol=EnrolRequest(MOBILE)), idempotency_key=key()
    )
    assert sale.member_id is None and sale.card_id is None
    assert not Member.objects.exists()


def test_enrol_on_the_spot_registers_issues_and_earns(shop, owner, cashier, named_type):
    default_rule(owner)
    sale = sale_complete(
        actor=cashier,
        data=walk_in(shop, enrol=EnrolRequest(MOBILE, name="李雷", explicit=True)),
        idempotency_key=key(),
    )
    member = Member.objects.get()
    assert member.name == "李雷" and member.mobile_last4 == "5678"
    assert sale.member_id == member.pk and sale.card.member_id == member.pk
    assert sale.points_earned == 12  # ¥12.50 → 12 points on the new card
    assert points_of(member) == 12
    assert {"code": "member.enrolled", "params": {"new": True}} in sale.notes
    assert AuditEvent.objects.filter(action="member.registered").count() == 1


def test_first_purchase_policy_charges_the_joining_fee_as_a_line(shop, owner, cashier, named_type):
    joining_policy_set(actor=owner, mode=JoiningPolicy.Mode.FIRST_PURCHASE, fee_fen=1000)
    data = walk_in(shop, amount=2250, enrol=EnrolRequest(MOBILE))
    quote = sale_quote_basket(actor=cashier, data=data)
    assert quote.joining == "new"
    assert quote.priced.payable_fen == 2250  # ¥12.50 tea + ¥10.00 fee
    sale = sale_complete(actor=cashier, data=data, idempotency_key=key())
    assert sale.payable_fen == quote.priced.payable_fen == 2250
    fee = SaleLine.objects.get(sale=sale, sku="JOINING-FEE")
    assert (fee.list_fen, fee.discount_fen, fee.points_eligible_fen) == (1000, 0, 0)


def test_a_known_mobile_is_never_registered_twice(shop, owner, cashier, named_type):
    joining_policy_set(actor=owner, mode=JoiningPolicy.Mode.FIRST_PURCHASE, fee_fen=1000)
    first = sale_complete(
        actor=cashier,
        data=walk_in(shop, amount=2250, enrol=EnrolRequest(MOBILE)),
        idempotency_key=key(),
    )
    data = walk_in(shop, enrol=EnrolRequest("+86 139 1234 5678"))
    quote = sale_quote_basket(actor=cashier, data=data)
    assert quote.joining == "existing" and quote.priced.payable_fen == 1250  # no second fee
    second = sale_complete(actor=cashier, data=data, idempotency_key=key())
    assert Member.objects.count() == 1 and Card.objects.count() == 1
    assert second.card_id == first.card_id
    assert {"code": "member.enrolled", "params": {"new": False}} in second.notes


def test_pay_to_join_needs_an_online_payment(shop, owner, cashier, named_type):
    joining_policy_set(actor=owner, mode=JoiningPolicy.Mode.PAY_TO_JOIN)
    cash = sale_complete(
        actor=cashier, data=walk_in(shop, enrol=EnrolRequest(MOBILE)), idempotency_key=key()
    )
    assert cash.member_id is None
    wechat = sale_complete(
        actor=cashier,
        data=walk_in(shop, method="wechat", enrol=EnrolRequest(MOBILE)),
        idempotency_key=key(),
    )
    assert wechat.member_id == Member.objects.get().pk


def test_spend_threshold_counts_the_walk_in_price(shop, owner, cashier, named_type):
    joining_policy_set(actor=owner, mode=JoiningPolicy.Mode.SPEND_THRESHOLD, threshold_fen=2500)
    below = sale_complete(
        actor=cashier, data=walk_in(shop, enrol=EnrolRequest(MOBILE)), idempotency_key=key()
    )
    assert below.member_id is None and not Member.objects.exists()
    at = sale_complete(
        actor=cashier,
        data=walk_in(shop, amount=2500, quantity=2, enrol=EnrolRequest(MOBILE)),
        idempotency_key=key(),
    )
    assert at.member_id == Member.objects.get().pk


def test_a_refused_enrolment_writes_nothing(shop, owner, cashier, named_type):
    joining_policy_set(actor=owner, mode=JoiningPolicy.Mode.FIRST_PURCHASE, fee_fen=1000)
    before = (Member.objects.count(), Card.objects.count(), Sale.objects.count())
    with pytest.raises(DomainError) as refused:  # the fee is not covered by the payment
        sale_complete(
            actor=cashier, data=walk_in(shop, enrol=EnrolRequest(MOBILE)), idempotency_key=key()
        )
    assert refused.value.code == "external_method_required"
    assert (Member.objects.count(), Card.objects.count(), Sale.objects.count()) == before
    with pytest.raises(DomainError) as bad:
        sale_complete(
            actor=cashier, data=walk_in(shop, enrol=EnrolRequest("12345")), idempotency_key=key()
        )
    assert bad.value.code == "invalid_mobile" and bad.value.field == "enrol.mobile"
    assert (Member.objects.count(), Card.objects.count(), Sale.objects.count()) == before


def test_the_policy_is_validated_and_audited(owner):
    with pytest.raises(DomainError) as refused:
        joining_policy_set(actor=owner, mode=JoiningPolicy.Mode.SPEND_THRESHOLD)
    assert refused.value.code == "threshold_required"
    joining_policy_set(actor=owner, mode=JoiningPolicy.Mode.FIRST_PURCHASE, fee_fen=500)
    event = AuditEvent.objects.get(action="joining_policy.changed")
    assert event.after["mode"] == "first_purchase" and event.after["fee"] == 500
