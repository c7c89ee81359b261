"""Automatic care: once per member per occasion, solar and lunar birthdays, notices."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.care.models import CareRule, CareSend, Delivery, MessageKind, OptOut
from huiyuan.care.rules import RuleInput, birthday_members, care_rule_save, care_rules_run
from huiyuan.care.sending import opt_out
from huiyuan.care.testing import outbox
from huiyuan.core import china, pii
from huiyuan.core.clock import business_zone
from huiyuan.core.errors import PermissionDenied, ValidationFailed
from huiyuan.members.services import LunarDate

pytestmark = pytest.mark.usefixtures("no_quiet_hours")

NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=business_zone())
TARGET = dt.date(2026, 3, 13)  # three days ahead


def _mobile(member) -> str:
    return pii.decrypt(member.mobile_enc)


@pytest.fixture
def birthday_rule(owner, coupon_template):
    return care_rule_save(
        actor=owner,
        data=RuleInput(kind="birthday", days_ahead=3, coupon_template_id=coupon_template.pk),
    )


def test_birthday_rule_sends_once_per_member_per_year_even_run_twice(birthday_rule, make_member):
    solar = make_member(name="李春", birthday=dt.date(1990, 3, 13))
    _, month, day, _leap = china.solar_to_lunar(TARGET)
    lunar = make_member(name="赵农", lunar_birthday=LunarDate(1985, month, day))
    other = make_member(name="钱某", birthday=dt.date(1990, 3, 14))
    assert care_rules_run(now=NOW) == {"birthday": 2}
    assert care_rules_run(now=NOW) == {"birthday": 0}  # the scheduler ran twice
    assert care_rules_run(now=NOW + dt.timedelta(hours=3)) == {"birthday": 0}
    for member in (solar, lunar):
        bodies = outbox(_mobile(member))
        assert len(bodies) == 1
        assert bodies[0].startswith(f"亲爱的{member.name}，旗舰店祝您生日快乐！送您一张“生日券”")
        assert CareSend.objects.filter(member=member).count() == 1
    assert outbox(_mobile(other)) == []
    occasions = set(CareSend.objects.values_list("occasion", flat=True))
    assert occasions == {"birthday:2026", f"birthday:lunar{china.solar_to_lunar(TARGET)[0]}"}
    # Next year is another occasion.
    next_year = NOW.replace(year=2027)
    assert care_rules_run(now=next_year) == {"birthday": 1}  # the solar one; lunar moves
    assert len(outbox(_mobile(solar))) == 2


def test_birthday_on_29_february_is_kept_on_28_february_in_a_common_year(make_member):
    leapling = make_member(birthday=dt.date(2000, 2, 29))
    assert birthday_members(dt.date(2027, 2, 28)) == [(leapling, "birthday:2027")]
    assert birthday_members(dt.date(2028, 2, 28)) == []
    assert birthday_members(dt.date(2028, 2, 29)) == [(leapling, "birthday:2028")]


def test_opted_out_member_gets_no_birthday_offer(birthday_rule, make_member):
    member = make_member(birthday=dt.date(1990, 3, 13))
    opt_out(member_id=member.pk, source=OptOut.Source.SMS)
    assert care_rules_run(now=NOW) == {"birthday": 1}
    assert outbox(_mobile(member)) == []
    assert care_rules_run(now=NOW) == {"birthday": 0}


def test_anniversary_rule(owner, make_member):
    member = make_member()
    from huiyuan.members.models import Member

    Member.objects.filter(pk=member.pk).update(joined_at=NOW.replace(year=2023))
    care_rule_save(actor=owner, data=RuleInput(kind="anniversary"))
    assert care_rules_run(now=NOW) == {"anniversary": 1}
    assert care_rules_run(now=NOW) == {"anniversary": 0}
    assert "第3周年" in outbox(_mobile(member))[0]


def test_points_change_notice_on_the_event_once(owner, cashier, make_member):
    from huiyuan.events.dispatch import events_dispatch
    from huiyuan.ledger.tests.factories import card, key
    from huiyuan.points.services import points_adjust

    member = make_member(name="孙积分")
    c = card(cashier, owner, holder=member)
    care_rule_save(actor=owner, data=RuleInput(kind="points_change", channel="sms"))
    points_adjust(actor=owner, card_id=c.pk, delta=120, reason="活动", idempotency_key=key())
    events_dispatch()  # the worker, after the commit
    events_dispatch()  # a second dispatcher finds nothing left to do
    bodies = outbox(_mobile(member))
    assert bodies == ["孙积分您好，您的积分变动+120，当前积分120。"]
    delivery = Delivery.objects.get(member=member)
    assert delivery.kind == MessageKind.TRANSACTIONAL


def test_coupon_expiry_reminder(owner, make_member):
    from huiyuan.coupons.services import TemplateInput, coupon_issue, template_create
    from huiyuan.ledger.tests.factories import key

    member = make_member(name="周券")
    today = dt.date.today()
    template = template_create(
        actor=owner,
        data=TemplateInput(
            name="十元券",
            kind="threshold",
            value=1000,
            min_spend_fen=5000,
            valid_from=today - dt.timedelta(days=5),
            valid_to=today + dt.timedelta(days=2),
        ),
    )
    coupon_issue(actor=owner, template_id=template.pk, member_id=member.pk, idempotency_key=key())
    care_rule_save(actor=owner, data=RuleInput(kind="coupon_expiry", days_ahead=3))
    assert care_rules_run() == {"coupon_expiry": 1}
    assert care_rules_run() == {"coupon_expiry": 0}
    assert outbox(_mobile(member)) == [
        f"周券您好，您的优惠券“十元券”将于{today + dt.timedelta(days=2):%Y-%m-%d}到期，请及时使用。"
    ]


def test_rule_refusals(actors, owner):
    from huiyuan.core.permissions import Role

    with pytest.raises(PermissionDenied):
        care_rule_save(actor=actors[Role.CASHIER], data=RuleInput(kind="birthday"))
    with pytest.raises(ValidationFailed) as exc:
        care_rule_save(actor=owner, data=RuleInput(kind="birthday", days_ahead=99))
    assert exc.value.code == "care_days_ahead"
    with pytest.raises(ValidationFailed) as exc:
        care_rule_save(actor=owner, data=RuleInput(kind="nope"))
    assert exc.value.code == "care_rule_kind_unknown"
    assert CareRule.objects.count() == 0


def test_points_expiry_reminder_once(owner, cashier, make_member):
    from django.utils import timezone

    from huiyuan.ledger.models import Lot
    from huiyuan.ledger.tests.factories import card, key
    from huiyuan.points.services import points_adjust

    member = make_member(name="吴积分")
    c = card(cashier, owner, holder=member)
    points_adjust(actor=owner, card_id=c.pk, delta=80, reason="活动", idempotency_key=key())
    expires = timezone.now() + dt.timedelta(days=2)
    Lot.objects.filter(account__card_id=c.pk).update(expires_at=expires)
    care_rule_save(actor=owner, data=RuleInput(kind="points_expiry", days_ahead=3))
    assert care_rules_run() == {"points_expiry": 1}
    assert care_rules_run() == {"points_expiry": 0}
    day = timezone.localtime(expires).date()
    assert outbox(_mobile(member)) == [
        f"吴积分您好，您有80积分将于{day:%Y-%m-%d}到期，请及时使用。"
    ]


def test_tier_downgrade_warning_says_what_keeps_the_tier(owner, make_member):
    from django.utils import timezone

    from huiyuan.tiers.models import MemberTier
    from huiyuan.tiers.services import tier_create

    tier_create(actor=owner, code="base", name="普通会员", level=1)
    gold = tier_create(
        actor=owner,
        code="gold",
        name="金卡会员",
        level=2,
        basis="spend",
        threshold=100_000,
        retention=50_000,
    )
    member = make_member(name="郑保级")
    MemberTier.objects.update_or_create(
        member=member, defaults={"tier": gold, "since": timezone.now()}
    )
    care_rule_save(actor=owner, data=RuleInput(kind="tier_downgrade", days_ahead=5))
    early = dt.datetime(2026, 12, 10, 10, 0, tzinfo=business_zone())
    assert care_rules_run(now=early) == {"tier_downgrade": 0}  # not yet in the window
    late = dt.datetime(2026, 12, 28, 10, 0, tzinfo=business_zone())
    assert care_rules_run(now=late) == {"tier_downgrade": 1}
    assert care_rules_run(now=late + dt.timedelta(days=1)) == {"tier_downgrade": 0}
    assert outbox(_mobile(member)) == [
        "郑保级您好，您当前为金卡会员，再消费¥500.00即可保级，考核日为2027-01-01。"
    ]
