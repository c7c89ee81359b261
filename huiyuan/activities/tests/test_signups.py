"""Sign-up activities: seats, the waiting list, fees and their refund rule, attendance."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.activities import services
from huiyuan.activities.models import Activity, Notice, Signup
from huiyuan.core.errors import Conflict, PermissionDenied
from huiyuan.core.permissions import Actor, Role
from huiyuan.ledger.tests.factories import balances, key
from huiyuan.members.models import Member

pytestmark = pytest.mark.django_db


def _sign(actor, activity, card):
    return services.signup_create(
        actor=actor, activity_id=activity.pk, card_id=card.pk, idempotency_key=key()
    )


def test_seats_then_waiting_list_then_promotion_in_order(cashier, make_activity, card_with_money):
    activity = make_activity(capacity=2)
    cards = [card_with_money(0) for _ in range(4)]
    signups = [_sign(cashier, activity, c) for c in cards]
    assert [s.status for s in signups] == ["seated", "seated", "waitlisted", "waitlisted"]
    services.signup_cancel(actor=cashier, signup_id=signups[0].pk, idempotency_key=key())
    statuses = dict(Signup.objects.values_list("id", "status"))
    assert [statuses[s.pk] for s in signups] == ["cancelled", "seated", "seated", "waitlisted"]
    activity.refresh_from_db()
    assert activity.seats_taken == 2


def test_fee_is_paid_from_stored_value_and_refunded_by_the_rule(
    cashier, make_activity, card_with_money
):
    activity = make_activity(capacity=1, fee_fen=3000, refund_rule=Activity.Refund.FULL)
    first, second = card_with_money(10_000), card_with_money(10_000)
    seated, waiting = _sign(cashier, activity, first), _sign(cashier, activity, second)
    assert (seated.status, waiting.status) == ("seated", "waitlisted")
    assert balances(first)["principal"] == 7000
    assert balances(second)["principal"] == 7000
    cancelled = services.signup_cancel(actor=cashier, signup_id=seated.pk, idempotency_key=key())
    assert (cancelled.refund_fen, balances(first)["principal"]) == (3000, 10_000)
    waiting.refresh_from_db()
    assert waiting.status == "seated"  # promoted; it had paid already
    assert balances(second)["principal"] == 7000


def test_no_refund_past_the_hours_before_the_start(cashier, make_activity, card_with_money):
    starts = timezone.now() + dt.timedelta(hours=5)
    activity = make_activity(
        capacity=5,
        fee_fen=2000,
        refund_rule=Activity.Refund.HOURS_BEFORE,
        refund_hours=24,
        starts_at=starts,
    )
    c = card_with_money(5000)
    signup = _sign(cashier, activity, c)
    cancelled = services.signup_cancel(actor=cashier, signup_id=signup.pk, idempotency_key=key())
    assert (cancelled.status, cancelled.refund_fen) == ("cancelled", 0)
    assert balances(c)["principal"] == 3000


def test_too_little_stored_value_changes_nothing(cashier, make_activity, card_with_money):
    activity = make_activity(capacity=5, fee_fen=3000)
    c = card_with_money(1000)
    with pytest.raises(Conflict) as refused:
        _sign(cashier, activity, c)
    assert refused.value.code == "insufficient_principal"
    assert balances(c)["principal"] == 1000
    assert not Signup.objects.exists()
    activity.refresh_from_db()
    assert activity.seats_taken == 0


def test_one_live_signup_per_member_and_a_draft_is_closed(cashier, make_activity, card_with_money):
    activity = make_activity(capacity=5)
    c = card_with_money(0)
    _sign(cashier, activity, c)
    with pytest.raises(Conflict) as twice:
        _sign(cashier, activity, c)
    assert twice.value.code == "already_signed_up"
    draft = make_activity(publish=False)
    with pytest.raises(Conflict) as closed:
        _sign(cashier, draft, c)
    assert closed.value.code == "activity_not_open"
    assert Signup.objects.count() == 1


def test_a_replay_returns_the_first_signup(cashier, make_activity, card_with_money):
    activity = make_activity(capacity=5, fee_fen=100)
    c = card_with_money(1000)
    k = key()
    first = services.signup_create(
        actor=cashier, activity_id=activity.pk, card_id=c.pk, idempotency_key=k
    )
    again = services.signup_create(
        actor=cashier, activity_id=activity.pk, card_id=c.pk, idempotency_key=k
    )
    assert first.pk == again.pk
    assert balances(c)["principal"] == 900


def test_attendance_opens_two_hours_before(cashier, make_activity, card_with_money):
    later = make_activity(capacity=5)
    soon = make_activity(capacity=5, starts_at=timezone.now() + dt.timedelta(minutes=30))
    c = card_with_money(0)
    early = _sign(cashier, later, c)
    with pytest.raises(Conflict) as refused:
        services.signup_attend(actor=cashier, signup_id=early.pk)
    assert refused.value.code == "attendance_not_open"
    signup = _sign(cashier, soon, c)
    attended = services.signup_attend(actor=cashier, signup_id=signup.pk)
    assert attended.status == "attended" and attended.attended_at is not None
    with pytest.raises(Conflict) as late:
        services.signup_cancel(actor=cashier, signup_id=signup.pk, idempotency_key=key())
    assert late.value.code == "signup_not_cancellable"


def test_a_change_notifies_participants_and_more_seats_promote(
    owner, cashier, make_activity, card_with_money
):
    activity = make_activity(capacity=1, location="一楼")
    a, b = card_with_money(0), card_with_money(0)
    _sign(cashier, activity, a)
    waiting = _sign(cashier, activity, b)
    data = services.ActivityInput(
        code=activity.code,
        name=activity.name,
        kind=activity.kind,
        starts_at=activity.starts_at + dt.timedelta(hours=1),
        ends_at=activity.ends_at + dt.timedelta(hours=1),
        capacity=2,
        location="二楼烘焙教室",
    )
    changed = services.activity_update(actor=owner, activity_id=activity.pk, data=data)
    assert (changed.version, changed.seats_taken) == (2, 2)
    notice = Notice.objects.get()
    assert sorted(notice.member_ids) == sorted([a.member_id, b.member_id])
    assert set(notice.changes) == {"starts_at", "ends_at", "location"}
    assert "时间变更" in notice.message or "new time" in notice.message
    waiting.refresh_from_db()
    assert waiting.status == "seated"
    data.capacity = 1
    with pytest.raises(Conflict) as fewer:
        services.activity_update(actor=owner, activity_id=activity.pk, data=data)
    assert fewer.value.code == "capacity_below_seated"


def test_ending_refunds_the_waiting_list_and_cancelling_refunds_everyone(
    owner, cashier, make_activity, card_with_money
):
    activity = make_activity(capacity=1, fee_fen=500, refund_rule=Activity.Refund.NONE)
    a, b = card_with_money(1000), card_with_money(1000)
    _sign(cashier, activity, a)
    _sign(cashier, activity, b)
    ended = services.activity_end(actor=owner, activity_id=activity.pk)
    assert ended.status == "ended"
    assert (balances(a)["principal"], balances(b)["principal"]) == (500, 1000)
    assert list(Signup.objects.order_by("id").values_list("status", flat=True)) == [
        "seated",
        "not_seated",
    ]
    other = make_activity(capacity=1, fee_fen=500, refund_rule=Activity.Refund.NONE)
    _sign(cashier, other, a)
    _sign(cashier, other, b)
    services.activity_cancel(actor=owner, activity_id=other.pk, reason="场地维修")
    assert (balances(a)["principal"], balances(b)["principal"]) == (500, 1000)
    assert Notice.objects.filter(activity=other).count() == 1


def test_roles_and_store_limits(actors, stores, make_activity, card_with_money):
    marketer: Actor = actors[Role.MARKETER]
    cashier: Actor = actors[Role.CASHIER]
    c = card_with_money(0)
    with pytest.raises(PermissionDenied):
        _sign(marketer, make_activity(), c)
    elsewhere = make_activity(store_ids=[stores[1].pk])
    with pytest.raises(Conflict) as other:
        _sign(cashier, elsewhere, c)
    assert other.value.code == "activity_other_store"
    assert not Signup.objects.exists()


def test_a_frozen_member_may_not_pay_a_fee(cashier, make_activity, card_with_money):
    c = card_with_money(1000)
    Member.objects.filter(pk=c.member_id).update(spend_frozen=True)
    with pytest.raises(Conflict) as frozen:
        _sign(cashier, make_activity(fee_fen=100), c)
    assert frozen.value.code == "member_spend_frozen"
    assert balances(c)["principal"] == 1000
