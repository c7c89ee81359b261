"""Chosen special dates and holidays (solar, lunar, one-off) and activity change notices:
once per member per occasion, in the business time zone."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.care.dates import CareDateInput, care_date_label, care_date_save
from huiyuan.care.models import CareDate, CareOnce, Delivery, MessageKind, OptOut
from huiyuan.care.rules import care_rules_run
from huiyuan.care.sending import opt_out, unsubscribe_url
from huiyuan.care.testing import outbox
from huiyuan.core import china, pii
from huiyuan.core.errors import PermissionDenied, ValidationFailed
from huiyuan.coupons.models import Coupon

pytestmark = pytest.mark.usefixtures("no_quiet_hours")


def _mobile(member) -> str:
    return pii.decrypt(member.mobile_enc)


def test_solar_and_one_off_dates_at_0730_shanghai_once_per_member_per_year(
    owner, make_member, coupon_template
):
    women = care_date_save(
        actor=owner,
        data=CareDateInput(
            name="三八妇女节",
            calendar="solar",
            month=3,
            day=8,
            coupon_template_id=coupon_template.pk,
        ),
    )
    once = care_date_save(
        actor=owner,
        data=CareDateInput(name="新店开业", calendar="once", date=dt.date(2026, 3, 9)),
    )
    a, b, c = make_member(name="甲"), make_member(name="乙"), make_member(name="丙")
    opt_out(member_id=c.pk, source=OptOut.Source.LINK)
    # 07:30 on 7 March in Shanghai (23:30 UTC on 6 March): not yet.
    assert care_rules_run(now=dt.datetime(2026, 3, 6, 23, 30, tzinfo=dt.UTC)) == {}
    # 07:30 on 8 March in Shanghai is 23:30 UTC on 7 March: the 8 March date is due.
    run_at = dt.datetime(2026, 3, 7, 23, 30, tzinfo=dt.UTC)
    assert care_rules_run(now=run_at) == {f"date:{women.pk}": 2}
    assert care_rules_run(now=run_at) == {f"date:{women.pk}": 0}  # the scheduler ran twice
    assert care_rules_run(now=run_at + dt.timedelta(hours=8)) == {f"date:{women.pk}": 0}
    for member in (a, b):
        coupon = Coupon.objects.get(member=member, source=f"care:date:{women.pk}:2026")
        assert outbox(_mobile(member)) == [
            f"{member.name}您好，三八妇女节快乐！旗舰店祝您节日愉快。"
            f"送您一张“生日券”，券码{coupon.code}。 回TD退订 {unsubscribe_url(member.pk)}"
        ]
    assert outbox(_mobile(c)) == []  # opted out: served (asked again next year), not sent
    assert set(CareOnce.objects.values_list("key", "member_id")) == {
        (f"date:{women.pk}:2026", a.pk),
        (f"date:{women.pk}:2026", b.pk),
        (f"date:{women.pk}:2026", c.pk),
    }
    assert Delivery.objects.filter(kind=MessageKind.MARKETING).count() == 2
    # The one-off date on its day, once; next year the solar date again, not the one-off.
    assert care_rules_run(now=dt.datetime(2026, 3, 8, 23, 30, tzinfo=dt.UTC)) == {
        f"date:{once.pk}": 2
    }
    assert care_rules_run(now=dt.datetime(2027, 3, 7, 23, 30, tzinfo=dt.UTC)) == {
        f"date:{women.pk}": 2
    }
    assert care_rules_run(now=dt.datetime(2027, 3, 8, 23, 30, tzinfo=dt.UTC)) == {}
    assert len(outbox(_mobile(a))) == 3


def test_a_lunar_holiday_falls_on_its_solar_day_each_lunar_year(owner, make_member):
    mid_autumn = care_date_save(
        actor=owner, data=CareDateInput(name="中秋节", calendar="lunar", month=8, day=15)
    )
    spring = care_date_save(
        actor=owner,
        data=CareDateInput(name="春节", calendar="lunar", month=1, day=1, days_ahead=1),
    )
    assert (care_date_label(mid_autumn), care_date_label(spring)) == (
        "农历八月十五",
        "农历正月初一",
    )
    member = make_member(name="月圆")
    assert china.lunar_to_solar(2026, 8, 15) == dt.date(2026, 9, 25)
    # 07:30 on 25 September 2026 in Shanghai = 23:30 UTC on 24 September.
    run_at = dt.datetime(2026, 9, 24, 23, 30, tzinfo=dt.UTC)
    assert care_rules_run(now=run_at) == {f"date:{mid_autumn.pk}": 1}
    assert care_rules_run(now=run_at) == {f"date:{mid_autumn.pk}": 0}
    assert CareOnce.objects.get(member=member).key == f"date:{mid_autumn.pk}:lunar2026"
    body = outbox(_mobile(member))
    assert len(body) == 1 and body[0].startswith("月圆您好，中秋节快乐！旗舰店祝您节日愉快。")
    # 春节 2027 (正月初一) is 6 February 2027; one day ahead: the run of 5 February.
    assert china.lunar_to_solar(2027, 1, 1) == dt.date(2027, 2, 6)
    assert care_rules_run(now=dt.datetime(2027, 2, 4, 23, 30, tzinfo=dt.UTC)) == {
        f"date:{spring.pk}": 1
    }
    assert CareOnce.objects.filter(key=f"date:{spring.pk}:lunar2027").count() == 1


def test_special_date_refusals_change_nothing(actors, owner):
    from huiyuan.core.permissions import Role

    bad = [
        (CareDateInput(name="x", calendar="solar", month=2, day=30), "care_date_invalid"),
        (CareDateInput(name="x", calendar="lunar", month=13, day=1), "care_date_invalid"),
        (CareDateInput(name="x", calendar="lunar", month=8, day=31), "care_date_invalid"),
        (CareDateInput(name="x", calendar="once"), "care_date_required"),
        (CareDateInput(name=" ", calendar="solar", month=3, day=8), "care_date_name_required"),
        (CareDateInput(name="x", calendar="weekly"), "care_date_calendar"),
        (
            CareDateInput(name="x", calendar="solar", month=3, day=8, template_code="nope"),
            "care_template_unknown",
        ),
    ]
    for data, code in bad:
        with pytest.raises(ValidationFailed) as exc:
            care_date_save(actor=owner, data=data)
        assert exc.value.code == code
    with pytest.raises(PermissionDenied):
        care_date_save(
            actor=actors[Role.CASHIER],
            data=CareDateInput(name="x", calendar="solar", month=3, day=8),
        )
    assert CareDate.objects.count() == 0


def test_an_activity_change_is_sent_to_each_participant_once_by_the_worker(owner, cashier):
    from django.utils import timezone

    from huiyuan.activities import services as activities
    from huiyuan.activities.models import Activity, Notice
    from huiyuan.core.clock import local_time
    from huiyuan.events.dispatch import events_dispatch
    from huiyuan.ledger.tests.factories import card, key

    starts = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    data = activities.ActivityInput(
        code="B001",
        name="亲子烘焙课",
        kind=Activity.Kind.SIGNUP,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        capacity=5,
        location="一楼",
    )
    activity = activities.activity_create(actor=owner, data=data)
    activities.activity_publish(actor=owner, activity_id=activity.pk)
    cards = [card(cashier, owner), card(cashier, owner)]
    for c in cards:
        activities.signup_create(
            actor=cashier, activity_id=activity.pk, card_id=c.pk, idempotency_key=key()
        )
    events_dispatch()
    assert Delivery.objects.filter(template_code="activity_changed").count() == 0
    data.starts_at = starts + dt.timedelta(hours=1)
    data.ends_at = data.starts_at + dt.timedelta(hours=2)
    data.location = "二楼烘焙教室"
    activities.activity_update(actor=owner, activity_id=activity.pk, data=data)
    # Nothing is sent inside the change's request: the event dispatcher (the worker) does it.
    assert Delivery.objects.filter(template_code="activity_changed").count() == 0
    events_dispatch()
    events_dispatch()  # a second dispatcher finds nothing left to do
    new_start = f"{local_time(data.starts_at):%m月%d日 %H:%M}"
    new_end = f"{local_time(data.ends_at):%m月%d日 %H:%M}"
    for c in cards:
        member = c.member
        assert outbox(_mobile(member)) == [
            f"{member.name}您好，您报名的活动“亲子烘焙课”有变更：开始时间改为{new_start}；"
            f"结束时间改为{new_end}；地点改为二楼烘焙教室。"
        ]
    sent = Delivery.objects.filter(template_code="activity_changed")
    assert sent.count() == 2
    assert set(sent.values_list("kind", flat=True)) == {MessageKind.TRANSACTIONAL}
    notice = Notice.objects.get()
    assert notice.channel == "care"
    # The same notice handed over again (a redelivered event) sends nobody twice.
    from huiyuan.care.notices import activity_notice_send

    assert activity_notice_send(notice) == 0
    assert sent.count() == 2
    # A cancellation is a notice too.
    activities.activity_cancel(actor=owner, activity_id=activity.pk, reason="场地维修")
    events_dispatch()
    assert outbox(_mobile(cards[0].member))[-1] == (
        f"{cards[0].member.name}您好，您报名的活动“亲子烘焙课”有变更：活动已取消，已付费用将退回。"
    )
    assert Delivery.objects.filter(template_code="activity_changed").count() == 4
