"""Benefit cards: sold at checkout, privileges priced with reasons, free uses per period,
renewal, upgrade credit and refund by the declared rule, refusals change nothing."""

from __future__ import annotations

import pytest

from huiyuan.audit.models import AuditEvent
from huiyuan.benefits import services
from huiyuan.benefits.expiry import benefits_expiry_run
from huiyuan.benefits.models import BenefitChange, BenefitReminder, MemberBenefit
from huiyuan.benefits.tests.conftest import at
from huiyuan.checkout.models import SaleLine
from huiyuan.checkout.services import sale_return, sale_reverse
from huiyuan.core.errors import DomainError
from huiyuan.events.models import OutboxEvent
from huiyuan.ledger.tests.factories import key
from huiyuan.packages.models import MemberPackage
from huiyuan.packages.services import package_use
from huiyuan.pricing import render_reason_zh
from huiyuan.pricing.outputs import Reason


def state() -> tuple[object, ...]:
    """Everything a refused operation must leave unchanged."""
    return (
        list(MemberBenefit.objects.order_by("pk").values_list("status", "valid_until", "paid_fen")),
        list(MemberPackage.objects.order_by("pk").values_list("status", "valid_until")),
        BenefitChange.objects.count(),
        AuditEvent.objects.count(),
        OutboxEvent.objects.count(),
    )


def adjustments(line: SaleLine, kind: str = "benefit") -> list[dict]:
    return [a for a in line.adjustments if a["rule"]["kind"] == kind]


def test_a_sale_opens_the_card_with_its_free_uses(shop, member_card, sell, clock):
    clock(at(2026, 3, 10))
    sale = sell(member_card, shop.silver.product_id)
    benefit = MemberBenefit.objects.get(member=member_card.member)
    assert (benefit.status, benefit.paid_fen, benefit.sale_id) == ("active", 3000, sale.pk)
    assert (str(benefit.valid_from), str(benefit.valid_until)) == ("2026-03-10", "2026-04-09")
    package = MemberPackage.objects.get(pk=benefit.package_id)
    assert (package.valid_from, package.valid_until) == (benefit.valid_from, benefit.valid_until)
    assert (package.limit_count, package.paid_fen) == (2, 0)
    assert OutboxEvent.objects.filter(name="benefit.opened").count() == 1


def test_privileges_are_priced_with_their_reasons(shop, member_card, sell, clock):
    clock(at(2026, 3, 10))
    sell(member_card, shop.silver.product_id)
    sale = sell(member_card, shop.wash.pk, shop.drink.pk)
    wash, drink = SaleLine.objects.filter(sale=sale).order_by("position")
    extra = adjustments(wash)
    assert [a["amount_fen"] for a in extra] == [400]  # ¥40 × (1 − 90%) on the wash category
    reason = extra[0]["reason"]
    assert render_reason_zh(Reason(reason["code"], reason["params"])) == (
        "权益卡「银卡月卡」洗车类再享9折，优惠 ¥4.00"
    )
    assert adjustments(drink) == []  # the silver card gives nothing on the shop category
    assert sale.payable_fen == 3600 + 1000


def test_the_points_multiplier_is_one_more_multiplier():
    import datetime as dt

    from huiyuan.points.rules import EarnContext, RuleSpec, compute_earn

    rule = RuleSpec(
        id=1,
        code="BASE",
        version=1,
        name="基础",
        priority=1,
        effective_from=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        effective_to=None,
        unit_fen=100,
        points_per_unit=1,
        rounding="floor",
    )
    ctx = EarnContext(
        amount_fen=4599,
        at=dt.datetime(2026, 3, 10, 2, tzinfo=dt.UTC),
        store_id=None,
        benefit_code="银卡",
        benefit_multiplier_pct=150,
    )
    result = compute_earn([rule], ctx)
    assert result.points == 67  # 45 × 150% = 67.5, rounded down
    assert {"code": "benefit", "benefit": "银卡", "pct": 150} in result.steps


def test_member_price_replaces_other_discounts_and_the_default_rate(shop, member_card, sell, clock):
    clock(at(2026, 3, 10))
    sell(member_card, shop.gold.product_id)
    sale = sell(member_card, shop.wax.pk, shop.drink.pk)
    wax, drink = SaleLine.objects.filter(sale=sale).order_by("position")
    assert [(a["reason"]["code"], a["amount_fen"]) for a in adjustments(wax)] == [
        ("benefit.member_price", 3000)
    ]
    assert [(a["reason"]["code"], a["amount_fen"]) for a in adjustments(drink)] == [
        ("benefit.rate", 200)
    ]
    assert sale.payable_fen == 5000 + 800


def test_no_card_no_privileges(shop, member_card, sell, clock):
    clock(at(2026, 3, 10))
    sale = sell(member_card, shop.wash.pk)
    assert adjustments(SaleLine.objects.get(sale=sale)) == []


def test_free_uses_per_period_and_a_new_month_restores_them(
    shop, member_card, sell, clock, cashier
):
    clock(at(2026, 3, 10))
    sell(member_card, shop.silver.product_id)
    benefit = MemberBenefit.objects.get(member=member_card.member)
    for _ in range(2):
        package_use(actor=cashier, package_id=benefit.package_id, idempotency_key=key())
    before = state()
    with pytest.raises(DomainError) as refused:
        package_use(actor=cashier, package_id=benefit.package_id, idempotency_key=key())
    assert refused.value.code == "package_limit_reached"
    assert state() == before
    clock(at(2026, 4, 1))
    use = package_use(actor=cashier, package_id=benefit.package_id, idempotency_key=key())
    assert use.business_date.month == 4
    clock(at(2026, 4, 10))  # the card ended on 04-09: so did its free uses
    with pytest.raises(DomainError) as ended:
        package_use(actor=cashier, package_id=benefit.package_id, idempotency_key=key())
    assert ended.value.code == "package_expired"


def test_selling_the_same_plan_again_renews_after_the_last_day(shop, member_card, sell, clock):
    clock(at(2026, 3, 10))
    sell(member_card, shop.silver.product_id)
    clock(at(2026, 4, 5))
    sale = sell(member_card, shop.silver.product_id)
    benefit = MemberBenefit.objects.get(member=member_card.member)
    assert str(benefit.valid_until) == "2026-05-09"  # 04-10 … 05-09
    assert benefit.paid_fen == 6000
    assert MemberPackage.objects.get(pk=benefit.package_id).valid_until == benefit.valid_until
    change = BenefitChange.objects.get(kind="renew")
    assert (change.sale_id, change.amount_fen) == (sale.pk, 3000)


def test_another_plan_is_refused_while_a_card_is_held(shop, member_card, sell, clock):
    clock(at(2026, 3, 10))
    sell(member_card, shop.silver.product_id)
    before = state()
    with pytest.raises(DomainError) as refused:
        sell(member_card, shop.gold.product_id, cash=30000)
    assert refused.value.code == "benefit_held"
    assert state() == before


def test_without_a_member_the_sale_is_refused(shop, sell, clock):
    clock(at(2026, 3, 10))
    with pytest.raises(DomainError) as refused:
        sell(None, shop.silver.product_id, cash=3000)
    assert refused.value.code == "benefit_needs_member"
    assert MemberBenefit.objects.count() == 0


def test_upgrade_credits_the_unused_days_pro_rata(shop, member_card, sell, clock, cashier):
    clock(at(2026, 3, 10))
    sell(member_card, shop.silver.product_id)
    benefit = MemberBenefit.objects.get(member=member_card.member)
    clock(at(2026, 3, 20))
    change = services.benefit_upgrade(
        actor=cashier,
        benefit_id=benefit.pk,
        plan_id=shop.gold.pk,
        method="cash",
        idempotency_key=key(),
    )
    # 03-10 … 04-09 is 31 days; 03-21 … 04-09 are unused: 20 days.
    # credit = 3000 × 20 ÷ 31 = 1935.48… → 1935 fen (rounded down); due = 30000 − 1935.
    assert (change.total_days, change.unused_days) == (31, 20)
    assert (change.amount_fen, change.due_fen) == (1935, 28065)
    benefit.refresh_from_db()
    assert benefit.status == "upgraded"
    target = change.target
    assert (target.plan_id, target.paid_fen, target.status) == (shop.gold.pk, 30000, "active")
    assert (str(target.valid_from), str(target.valid_until)) == ("2026-03-20", "2027-03-19")
    assert MemberPackage.objects.get(pk=benefit.package_id).status == "cancelled"


def test_upgrade_refusals_change_nothing(shop, member_card, sell, clock, cashier):
    clock(at(2026, 3, 10))
    sell(member_card, shop.gold.product_id, cash=30000)
    benefit = MemberBenefit.objects.get(member=member_card.member)
    before = state()
    with pytest.raises(DomainError) as refused:
        services.benefit_upgrade(
            actor=cashier,
            benefit_id=benefit.pk,
            plan_id=shop.silver.pk,
            method="cash",
            idempotency_key=key(),
        )
    assert refused.value.code == "benefit_not_an_upgrade"
    with pytest.raises(DomainError) as bad_method:
        services.benefit_upgrade(
            actor=cashier,
            benefit_id=benefit.pk,
            plan_id=shop.silver.pk,
            method="gold bars",
            idempotency_key=key(),
        )
    assert bad_method.value.code == "invalid_method"
    assert state() == before


def test_refund_pays_the_unused_part_less_the_fee(shop, member_card, sell, clock, manager):
    clock(at(2026, 3, 10))
    sell(member_card, shop.silver.product_id)
    benefit = MemberBenefit.objects.get(member=member_card.member)
    clock(at(2026, 3, 25))
    the_key = key()
    change = services.benefit_refund(
        actor=manager, benefit_id=benefit.pk, method="cash", reason="搬家", idempotency_key=the_key
    )
    # 03-26 … 04-09: 15 of 31 days. gross = 3000 × 15 ÷ 31 = 1451.6… → 1451;
    # fee = 1451 × 1000 ÷ 10000 = 145.1 → 145; refund = 1306.
    assert (change.unused_days, change.gross_fen, change.fee_fen) == (15, 1451, 145)
    assert change.amount_fen == 1306
    benefit.refresh_from_db()
    assert benefit.status == "refunded"
    assert MemberPackage.objects.get(pk=benefit.package_id).status == "cancelled"
    again = services.benefit_refund(
        actor=manager, benefit_id=benefit.pk, method="cash", reason="搬家", idempotency_key=the_key
    )
    assert again.pk == change.pk  # a replay returns the first result
    before = state()
    with pytest.raises(DomainError) as refused:
        services.benefit_refund(
            actor=manager,
            benefit_id=benefit.pk,
            method="cash",
            reason="搬家",
            idempotency_key=key(),
        )
    assert refused.value.code == "benefit_not_active"
    assert state() == before


def test_a_cashier_may_not_refund(shop, member_card, sell, clock, cashier):
    clock(at(2026, 3, 10))
    sell(member_card, shop.silver.product_id)
    benefit = MemberBenefit.objects.get(member=member_card.member)
    before = state()
    with pytest.raises(DomainError) as refused:
        services.benefit_refund(
            actor=cashier, benefit_id=benefit.pk, method="cash", reason="x", idempotency_key=key()
        )
    assert refused.value.code == "permission_denied"
    assert state() == before


def test_return_cancels_an_unused_card_and_is_refused_after_a_use(
    shop, member_card, sell, clock, cashier, manager
):
    clock(at(2026, 3, 10))
    sale = sell(member_card, shop.silver.product_id)
    line = SaleLine.objects.get(sale=sale)
    sale_reverse(actor=manager, sale_id=sale.pk, reason="买错", idempotency_key=key())
    assert MemberBenefit.objects.get(sale=sale).status == "cancelled"
    sale = sell(member_card, shop.silver.product_id)
    benefit = MemberBenefit.objects.get(sale=sale)
    package_use(actor=cashier, package_id=benefit.package_id, idempotency_key=key())
    line = SaleLine.objects.get(sale=sale)
    before = state()
    with pytest.raises(DomainError) as refused:
        sale_return(
            actor=manager,
            sale_id=sale.pk,
            lines=[(line.pk, 1000)],
            reason="不要了",
            idempotency_key=key(),
        )
    assert refused.value.code == "benefit_partly_used"
    assert state() == before


def test_reminder_once_per_end_date_then_expiry(shop, member_card, sell, clock, owner):
    clock(at(2026, 3, 10))
    sell(member_card, shop.silver.product_id)
    benefit = MemberBenefit.objects.get(member=member_card.member)
    assert benefits_expiry_run(actor=owner, now=at(2026, 4, 1)) == {"reminded": 0, "expired": 0}
    assert benefits_expiry_run(actor=owner, now=at(2026, 4, 3)) == {"reminded": 1, "expired": 0}
    assert benefits_expiry_run(actor=owner, now=at(2026, 4, 3)) == {"reminded": 0, "expired": 0}
    reminder = BenefitReminder.objects.get()
    assert (reminder.days_left, str(reminder.valid_until)) == (6, "2026-04-09")
    assert benefits_expiry_run(actor=owner, now=at(2026, 4, 10)) == {"reminded": 0, "expired": 1}
    benefit.refresh_from_db()
    assert benefit.status == "expired"
    assert services.in_force(benefit.member_id, at(2026, 4, 10).date()) is None


def test_the_card_multiplies_the_points_a_sale_earns(shop, member_card, sell, owner):
    from huiyuan.ledger.tests.factories import default_rule

    default_rule(owner)  # 1 point per yuan paid, in effect from now
    sell(member_card, shop.silver.product_id)
    sale = sell(member_card, shop.wash.pk)  # ¥40 − ¥4 = ¥36 paid
    # 36 points × 150% = 54, explained as a step of the earn rules.
    assert sale.points_earned == 54
    assert {"code": "benefit", "benefit": "银卡月卡", "pct": 150} in sale.earn_explanation["steps"]
