"""Payment, claim and care activities; points tasks; manual grants; double-points days."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.activities.models import Activity, GrantLine, RewardGrant
from huiyuan.activities.services.grants import grant_batch_run, grant_batch_start
from huiyuan.activities.services.points_days import PointsDayInput, points_day_save
from huiyuan.activities.services.rewards import (
    activity_claim,
    care_run,
    points_task_set,
    task_points_give,
)
from huiyuan.checkout.models import SaleLine
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.checkout.services.returns import sale_return
from huiyuan.core.clock import local_date
from huiyuan.core.errors import Conflict
from huiyuan.core.permissions import Role
from huiyuan.coupons.models import Coupon
from huiyuan.coupons.services.templates import TemplateInput, template_create
from huiyuan.ledger.tests.factories import balances, default_rule, key
from huiyuan.members.models import Member

pytestmark = pytest.mark.django_db


def _sale(actor, card, fen):
    return sale_quick(
        actor=actor,
        data=QuickSaleInput(amount_fen=fen, card_id=card.pk, external_method="cash"),
        idempotency_key=key(),
    )


def _payment(make_activity, **extra):
    now = timezone.now()
    return make_activity(
        kind=Activity.Kind.PAYMENT,
        starts_at=extra.pop("starts_at", now - dt.timedelta(hours=1)),
        ends_at=extra.pop("ends_at", now + dt.timedelta(days=7)),
        capacity=0,
        **extra,
    )


def test_spend_and_get_points_within_budget_and_taken_back_on_return(
    actors, cashier, make_activity, card_with_money
):
    activity = _payment(
        make_activity, threshold_fen=10_000, reward_kind="points", reward_points=50, budget=1
    )
    first, second = card_with_money(0), card_with_money(0)
    low = _sale(cashier, first, 9_999)
    assert not RewardGrant.objects.exists()
    sale = _sale(cashier, first, 12_000)
    grant = RewardGrant.objects.get()
    assert (grant.sale_id, grant.points, grant.occasion) == (sale.pk, 50, f"sale:{sale.pk}")
    assert balances(first)["points"] == 50
    _sale(cashier, second, 20_000)  # the budget is spent: the sale stands, no reward
    assert balances(second)["points"] == 0
    activity.refresh_from_db()
    assert activity.budget_used == 1
    line = SaleLine.objects.get(sale=sale)
    sale_return(
        actor=actors[Role.STORE_MANAGER],
        sale_id=sale.pk,
        lines=[(line.pk, line.quantity_milli // 2)],
        reason="退一半",
        idempotency_key=key(),
    )
    grant.refresh_from_db()
    assert grant.reversed_at is not None
    assert balances(first)["points"] == 0
    activity.refresh_from_db()
    assert activity.budget_used == 0
    assert low.pk != sale.pk


def test_spend_and_get_a_coupon_and_the_unused_coupon_is_voided_on_reversal(
    owner, cashier, make_activity, card_with_money
):
    from huiyuan.checkout.services.reverse import sale_reverse

    template = template_create(
        actor=owner,
        data=TemplateInput(
            name="满100减10", kind="cash", value=1000, valid_days=30, validity="relative"
        ),
    )
    _payment(
        make_activity, threshold_fen=5_000, reward_kind="coupon", coupon_template_id=template.pk
    )
    c = card_with_money(0)
    sale = _sale(cashier, c, 6_000)
    grant = RewardGrant.objects.get()
    coupon = Coupon.objects.get(pk=grant.coupon_id)
    assert (coupon.member_id, coupon.status, grant.cost_fen) == (c.member_id, "unused", 1000)
    sale_reverse(actor=owner, sale_id=sale.pk, reason="收错", idempotency_key=key())
    coupon.refresh_from_db()
    assert coupon.status == "void"


def test_claim_once_within_stock(owner, cashier, make_activity, card_with_money):
    template = template_create(
        actor=owner,
        data=TemplateInput(
            name="新客券", kind="cash", value=500, validity="relative", valid_days=7, stock=1
        ),
    )
    now = timezone.now()
    activity = make_activity(
        kind=Activity.Kind.CLAIM,
        capacity=0,
        coupon_template_id=template.pk,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(days=1),
    )
    a, b = card_with_money(0), card_with_money(0)
    grant = activity_claim(
        actor=cashier, activity_id=activity.pk, card_id=a.pk, idempotency_key=key()
    )
    assert Coupon.objects.get(pk=grant.coupon_id).channel == "claim"
    with pytest.raises(Conflict) as again:
        activity_claim(actor=cashier, activity_id=activity.pk, card_id=a.pk, idempotency_key=key())
    assert again.value.code == "reward_already_given"
    with pytest.raises(Conflict) as empty:
        activity_claim(actor=cashier, activity_id=activity.pk, card_id=b.pk, idempotency_key=key())
    assert empty.value.code == "coupon_out_of_stock"
    assert RewardGrant.objects.count() == 1
    assert Activity.objects.get(pk=activity.pk).budget_used == 1


def test_birthday_care_once_per_member_and_year(owner, make_activity, card_with_money):
    today = local_date(timezone.now())
    now = timezone.now()
    make_activity(
        kind=Activity.Kind.CARE,
        capacity=0,
        occasion="birthday",
        reward_kind="points",
        reward_points=88,
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=365),
    )
    birthday, other = card_with_money(0), card_with_money(0)
    born = today.replace(year=1990) if (today.month, today.day) != (2, 29) else dt.date(1992, 2, 29)
    Member.objects.filter(pk=birthday.member_id).update(birthday=born)
    Member.objects.filter(pk=other.member_id).update(birthday=born - dt.timedelta(days=40))
    assert care_run(actor=owner) == {"given": 1, "skipped": 0}
    assert care_run(actor=owner) == {"given": 0, "skipped": 1}
    assert (balances(birthday)["points"], balances(other)["points"]) == (88, 0)


def test_points_tasks_once_per_member(owner, card_with_money):
    c = card_with_money(0)
    assert task_points_give(actor=owner, code="profile", member_id=c.member_id) is None  # not set
    points_task_set(actor=owner, code="profile", points=30, active=True)
    assert task_points_give(actor=owner, code="profile", member_id=c.member_id).points == 30
    assert task_points_give(actor=owner, code="profile", member_id=c.member_id) is None
    assert balances(c)["points"] == 30


def test_register_task_on_the_first_card(owner, cashier, card_with_money):
    points_task_set(actor=owner, code="register", points=20, active=True)
    from huiyuan.events.dispatch import events_dispatch

    c = card_with_money(0)
    events_dispatch()
    events_dispatch()
    assert balances(c)["points"] == 20
    assert RewardGrant.objects.filter(task__code="register", member_id=c.member_id).count() == 1


def test_manual_grant_to_member_numbers_as_a_batch(owner, card_with_money):
    a, b = card_with_money(0), card_with_money(0)
    Member.objects.filter(pk=b.member_id).update(earn_frozen=True)
    codes = list(
        Member.objects.filter(pk__in=[a.member_id, b.member_id]).values_list("code", flat=True)
    )
    batch = grant_batch_start(
        actor=owner, points=15, reason="周年回馈", member_codes=codes, enqueue=False
    )
    assert batch.total == 2
    done = grant_batch_run(actor=owner, batch_id=batch.pk)
    assert (done.status, done.given, done.skipped) == ("done", 1, 1)
    assert (balances(a)["points"], balances(b)["points"]) == (15, 0)
    assert GrantLine.objects.get(member_id=b.member_id).reason_code == "member_earn_frozen"
    grant_batch_run(actor=owner, batch_id=batch.pk)  # a rerun gives nobody twice
    assert balances(a)["points"] == 15


def test_double_points_day_multiplies_the_earned_points_with_its_reason(
    owner, cashier, card_with_money
):
    default_rule(owner)
    today = local_date(timezone.now())
    points_day_save(
        actor=owner,
        data=PointsDayInput(name="会员日", multiplier_pct=200, weekdays=[today.isoweekday()]),
    )
    c = card_with_money(0)
    sale = _sale(cashier, c, 12_345)
    assert sale.points_earned == 246  # 123 × 200 %
    codes = [s["code"] for s in sale.earn_explanation["steps"]]
    assert "points_day" in codes
