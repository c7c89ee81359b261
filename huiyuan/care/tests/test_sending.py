"""Transactional sending, the outbox, retries, consent, quiet hours and the cap."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.care import sending
from huiyuan.care.models import Delivery, MessageKind, OptOut
from huiyuan.care.testing import outbox
from huiyuan.core.clock import business_zone, local_today
from huiyuan.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def at(hour: int, minute: int = 0, days: int = 1) -> dt.datetime:
    """Tomorrow (or ``days`` on) at this local time."""
    day = local_today() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=business_zone())


NOON = at(12)


def test_verification_code_goes_out_through_the_outbox(db):
    delivery = sending.send_transactional(
        template="verify_code", mobile="13800001111", context={"code": "246810", "purpose": "登录"}
    )
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.kind == MessageKind.TRANSACTIONAL
    assert delivery.recipient_masked == "138****1111"
    assert delivery.attempts == 1
    assert outbox("13800001111") == ["您的验证码是246810，用于登录，5分钟内有效。请勿告诉他人。"]
    assert outbox("13800002222") == []


def test_unknown_template_and_missing_address_are_refused(db):
    with pytest.raises(ValidationFailed) as exc:
        sending.send_transactional(template="nope", mobile="13800001111", context={})
    assert exc.value.code == "care_template_unknown"
    with pytest.raises(ValidationFailed) as exc:
        sending.send_transactional(template="verify_code", context={"code": "1"})
    assert exc.value.code == "care_no_address"
    assert Delivery.objects.count() == 0


def test_opted_out_member_gets_no_marketing_but_still_a_code(make_member):
    member = make_member()
    mobile = "13912349999"
    member2 = make_member(mobile=mobile)
    sending.opt_out(member_id=member2.pk, source=OptOut.Source.SMS)
    marketing = sending.delivery_queue(
        template="promotion",
        channel="sms",
        to=mobile,
        member_id=member2.pk,
        context={"name": "李"},
        enqueue=False,
    )
    assert sending.delivery_send(marketing.pk, now=NOON) == "opted_out"
    sending.send_transactional(
        template="verify_code", member_id=member2.pk, context={"code": "1357", "purpose": "登录"}
    )
    marketing.refresh_from_db()
    assert (marketing.status, marketing.reason) == (Delivery.Status.SUPPRESSED, "opted_out")
    assert outbox(mobile) == ["您的验证码是1357，用于登录，5分钟内有效。请勿告诉他人。"]
    assert member.pk != member2.pk


def test_marketing_carries_the_unsubscribe_line_and_waits_out_quiet_hours(make_member):
    member = make_member(mobile="13912340101")
    d = sending.delivery_queue(
        template="promotion",
        channel="sms",
        to="13912340101",
        member_id=member.pk,
        context={"name": "王小明", "store": "旗舰店"},
        enqueue=False,
    )
    assert d.body.startswith("王小明您好，旗舰店会员专享活动进行中。")
    assert "回TD退订" in d.body and "/care/u/" in d.body
    late = at(22, 30)
    assert sending.delivery_send(d.pk, now=late) == "deferred"
    d.refresh_from_db()
    assert d.status == Delivery.Status.QUEUED and d.reason == "quiet_hours"
    assert d.next_attempt_at == at(9, days=2)
    assert outbox("13912340101") == []
    # Not due before 09:00; sent by the sweep once it is.
    assert sending.deliveries_send(now=at(8, 59, days=2)) == {}
    assert sending.deliveries_send(now=at(9, days=2)) == {"delivered": 1}
    assert len(outbox("13912340101")) == 1


def test_frequency_cap_per_member(make_member, settings):
    settings.HUIYUAN_CARE_MARKETING_CAP = (2, 7)
    member = make_member(mobile="13912340202")
    outcomes = []
    for _ in range(3):
        d = sending.delivery_queue(
            template="promotion",
            channel="sms",
            to="13912340202",
            member_id=member.pk,
            context={},
            enqueue=False,
        )
        outcomes.append(sending.delivery_send(d.pk, now=NOON))
    assert outcomes == ["delivered", "delivered", "capped"]
    # Transactional messages are not counted nor capped.
    sending.send_transactional(template="verify_code", member_id=member.pk, context={"code": "9"})
    assert len(outbox("13912340202")) == 3


class Flaky:
    calls = 0

    def __init__(self, **options):
        pass

    def send(self, message):
        Flaky.calls += 1
        if Flaky.calls < 3:
            raise ConnectionError("gateway down")
        from huiyuan.care.channels import Result

        return Result(ok=True, provider_id="p-1", response='{"Code":"OK"}')


def test_failures_are_retried_with_backoff_then_recorded(db, settings):
    settings.HUIYUAN_CARE_CHANNELS = {"sms": {"BACKEND": f"{__name__}.Flaky"}}
    Flaky.calls = 0
    d = sending.delivery_queue(
        template="verify_code",
        channel="sms",
        to="13800003333",
        context={"code": "1"},
        enqueue=False,
    )
    assert sending.delivery_send(d.pk, now=NOON) == "retry"
    d.refresh_from_db()
    assert d.attempts == 1 and d.last_error == "ConnectionError: gateway down"
    first_wait = (d.next_attempt_at - NOON).total_seconds()
    assert 27 <= first_wait <= 33
    assert sending.delivery_send(d.pk, now=NOON) == "skipped"  # not due yet
    later = d.next_attempt_at
    assert sending.delivery_send(d.pk, now=later) == "retry"
    d.refresh_from_db()
    assert 54 <= (d.next_attempt_at - later).total_seconds() <= 66
    assert sending.delivery_send(d.pk, now=d.next_attempt_at) == "sent"
    d.refresh_from_db()
    assert (d.status, d.attempts, d.provider_id) == (Delivery.Status.SENT, 3, "p-1")
    assert d.provider_response == '{"Code":"OK"}'


def test_retry_delay_doubles_and_is_capped():
    assert sending.retry_delay(1, rand=lambda: 0.5) == dt.timedelta(seconds=30)
    assert sending.retry_delay(4, rand=lambda: 0.5) == dt.timedelta(seconds=240)
    assert sending.retry_delay(30, rand=lambda: 0.5) == dt.timedelta(hours=6)
