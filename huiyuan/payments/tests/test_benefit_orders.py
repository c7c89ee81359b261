"""A benefit card bought or renewed online: the order carries its purpose and plan; the
provider's verified notification opens (or renews) the card through the benefits service,
exactly once even when notified twice; a refusal changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.benefits import rules
from huiyuan.benefits.models import BenefitChange, MemberBenefit
from huiyuan.benefits.tests.conftest import sell, shop  # noqa: F401 - fixtures
from huiyuan.core.clock import local_date
from huiyuan.core.errors import DomainError
from huiyuan.ledger.tests.factories import balances, card
from huiyuan.payments.models import OnlineOrder, PaymentNotification, SandboxCharge
from huiyuan.payments.services import sandbox
from huiyuan.payments.services.orders import benefit_order_create
from huiyuan.payments.tests.test_notifications import _paid, _post
from huiyuan.selfservice.actor import MemberActor

Outcome = PaymentNotification.Outcome


def _order(me, card_id, plan_id, base="http://testserver"):
    return benefit_order_create(
        actor=me, card_id=card_id, plan_id=plan_id, provider="sandbox", notify_base_url=base
    )


def _state():
    return (
        OnlineOrder.objects.count(),
        list(MemberBenefit.objects.order_by("pk").values_list("status", "valid_until", "paid_fen")),
        BenefitChange.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.django_db(transaction=True)
def test_bought_over_http_notified_twice_opens_one_card(live_server, shop, member_card, me):  # noqa: F811
    # Given an order for the ¥30 silver monthly card, registered with the sandbox
    order = _order(me, member_card.pk, shop.silver.pk, base=live_server.url)
    assert (order.purpose, order.benefit_plan_id, order.amount_fen) == (
        "benefit_buy",
        shop.silver.pk,
        3000,
    )
    assert order.pay_url == f"/pay/sandbox/{order.number}/"
    assert SandboxCharge.objects.get(order_number=order.number).subject == "权益卡 银卡月卡"
    assert MemberBenefit.objects.count() == 0
    # When the payer pays: the signed notification reaches us over HTTP
    sandbox.sandbox_charge_pay(order.number)
    order.refresh_from_db()
    assert order.status == OnlineOrder.Status.PAID
    benefit = MemberBenefit.objects.get(member=member_card.member)
    today = local_date(timezone.now())
    assert (order.benefit_id, benefit.status, benefit.paid_fen) == (benefit.pk, "active", 3000)
    assert (benefit.plan_id, benefit.card_id, benefit.sale_id) == (
        shop.silver.pk,
        member_card.pk,
        None,
    )
    assert (benefit.valid_from, benefit.valid_until) == (today, rules.valid_until(today, "month"))
    assert benefit.package is not None and benefit.package.limit_count == 2
    # Stored value is untouched: the card was paid online, not from the card
    assert balances(member_card)["principal"] == 0
    # And notified again (and 支付 pressed again): nothing more happens
    sandbox.sandbox_notify_again(order.number)
    sandbox.sandbox_charge_pay(order.number)
    assert MemberBenefit.objects.count() == 1
    assert BenefitChange.objects.count() == 0
    assert AuditEvent.objects.filter(action="benefit.opened").count() == 1
    outcomes = list(PaymentNotification.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == [Outcome.ACCEPTED, Outcome.REPEATED, Outcome.REPEATED]


@pytest.mark.django_db
def test_renewed_online_adds_one_term_once(client, shop, member_card, me, sell):  # noqa: F811
    sell(member_card, shop.silver.product_id)  # the card bought at the counter today
    benefit = MemberBenefit.objects.get(member=member_card.member)
    until = benefit.valid_until
    order = _order(me, member_card.pk, shop.silver.pk)
    assert (order.purpose, order.amount_fen) == ("benefit_renew", 3000)
    assert SandboxCharge.objects.get(order_number=order.number).subject == "权益卡续费 银卡月卡"
    response = _post(client, _paid(order))
    assert (response.status_code, response.json()) == (200, {"code": "SUCCESS"})
    benefit.refresh_from_db()
    after = rules.renewed_until(until, local_date(timezone.now()), "month")
    assert (benefit.valid_until, benefit.paid_fen, benefit.status) == (after, 6000, "active")
    change = BenefitChange.objects.get()
    assert (change.kind, change.method, change.amount_fen, change.sale_id) == (
        "renew",
        "online",
        3000,
        None,
    )
    assert (change.until_before, change.until_after) == (until, after)
    order.refresh_from_db()
    assert (order.status, order.benefit_id) == ("paid", benefit.pk)
    # The same payment notified again: repeated, the term added once
    assert _post(client, _paid(order)).status_code == 200
    benefit.refresh_from_db()
    assert (benefit.valid_until, benefit.paid_fen) == (after, 6000)
    assert BenefitChange.objects.count() == 1
    assert list(PaymentNotification.objects.order_by("pk").values_list("outcome", flat=True)) == [
        Outcome.ACCEPTED,
        Outcome.REPEATED,
    ]


@pytest.mark.django_db
def test_order_refusals_change_nothing(shop, member_card, me, sell, cashier, owner):  # noqa: F811
    sell(member_card, shop.silver.product_id)
    before = _state()
    for plan_id, card_id, actor, code in (
        (shop.gold.pk, member_card.pk, me, "benefit_held"),  # another plan: upgrade instead
        (999_999, member_card.pk, me, "plan_not_found"),
        (shop.silver.pk, card(cashier, owner).pk, me, "not_found"),  # someone else's card
        ("1", member_card.pk, me, "plan_not_found"),
    ):
        mid = _state()
        with pytest.raises(DomainError) as refused:
            _order(actor, card_id, plan_id)
        assert refused.value.code == code
        assert _state() == mid
    shop.gold.active = False
    shop.gold.save(update_fields=["active"])
    other = card(cashier, owner)
    with pytest.raises(DomainError) as refused:
        _order(MemberActor(member_id=other.member_id), other.pk, shop.gold.pk)
    assert refused.value.code == "plan_not_on_sale"
    assert _state()[1:3] == before[1:3]
    assert OnlineOrder.objects.count() == 0


@pytest.mark.django_db
def test_paid_but_refused_fails_the_order_and_opens_nothing(
    client,
    shop,  # noqa: F811
    member_card,
    me,
    sell,  # noqa: F811
):
    order = _order(me, member_card.pk, shop.silver.pk)  # a silver card is asked for online…
    sell(member_card, shop.gold.product_id, cash=30000)  # …while the counter sells gold
    gold = MemberBenefit.objects.get()
    audits = AuditEvent.objects.filter(action__startswith="benefit.").count()
    response = _post(client, _paid(order))
    assert response.status_code == 200  # acknowledged: the order says what became of it
    order.refresh_from_db()
    assert (order.status, order.failure_code, order.benefit_id) == ("failed", "benefit_held", None)
    assert list(MemberBenefit.objects.values_list("pk", "status")) == [(gold.pk, "active")]
    assert AuditEvent.objects.filter(action__startswith="benefit.").count() == audits
    assert list(PaymentNotification.objects.values_list("outcome", flat=True)) == [
        Outcome.RECHARGE_REFUSED
    ]


@pytest.mark.django_db
def test_an_ended_card_is_bought_anew(client, shop, member_card, me, sell, monkeypatch):  # noqa: F811
    sell(member_card, shop.silver.product_id)
    old = MemberBenefit.objects.get()
    later = timezone.now() + dt.timedelta(days=40)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    order = _order(me, member_card.pk, shop.silver.pk)
    assert order.purpose == "benefit_buy"  # the held card has ended: a purchase, not a renewal
    _post(client, _paid(order))
    old.refresh_from_db()
    assert old.status == "expired"
    new = MemberBenefit.objects.get(status="active")
    today = local_date(later)
    assert (new.valid_from, new.paid_fen, new.pk != old.pk) == (today, 3000, True)


@pytest.mark.django_db
def test_the_console_lists_a_benefit_order_with_its_purpose(client, shop, member_card, me, staff):  # noqa: F811
    from huiyuan.core.permissions import Role

    order = _order(me, member_card.pk, shop.silver.pk)
    client.force_login(staff[Role.OWNER])
    html = client.get("/payments/orders/").content.decode()
    assert order.number in html
    assert "购买权益卡 银卡月卡" in html
