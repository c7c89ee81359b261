"""Referral rewards in coupons: issued through the coupon service under the template's lock
(stock, budget, the member's limit), once per referee and occasion; a coupon the template
cannot give is recorded as not given with the reason, and the points are given anyway."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils.translation import gettext

from huiyuan.core.errors import DomainError
from huiyuan.coupons.models import Coupon, CouponTemplate
from huiyuan.coupons.services import TemplateInput, template_create, template_stop
from huiyuan.events.dispatch import events_dispatch
from huiyuan.ledger.tests.factories import balances
from huiyuan.referrals import services
from huiyuan.referrals.models import ReferralPolicy, ReferralReward
from huiyuan.referrals.tests.conftest import join


def make_template(owner, **extra: Any) -> CouponTemplate:
    values: dict[str, Any] = {
        "name": "推荐礼券",
        "kind": "cash",
        "value": 1000,
        "valid_from": dt.date(2020, 1, 1),
        "valid_to": dt.date(2099, 12, 31),
        "per_member_limit": 0,
    }
    values.update(extra)
    return template_create(actor=owner, data=TemplateInput(**values))


def set_policy(owner, **extra: Any) -> ReferralPolicy:
    values: dict[str, Any] = {
        "join_points": 100,
        "first_purchase_points": 50,
        "levels": 2,
        "level1_bp": 500,
        "level2_bp": 200,
    }
    values.update(extra)
    return services.policy_update(actor=owner, data=services.PolicyInput(**values))


def rewards(kind: str = "join") -> list[tuple[str, str, int, bool, str]]:
    return [
        (r.referrer.name, r.referee.name, r.points, r.coupon_id is not None, r.coupon_refusal)
        for r in ReferralReward.objects.filter(kind=kind).order_by("referee_id")
    ]


def test_join_coupons_stop_at_the_stock_and_points_are_still_given(chain, owner):
    template = make_template(owner, stock=2)
    set_policy(owner, join_coupon_template_id=template.pk)
    events_dispatch()
    assert rewards() == [
        ("甲", "乙", 100, True, ""),
        ("乙", "丙", 100, True, ""),
        ("丙", "丁", 100, False, "coupon_out_of_stock"),
    ]
    refused = ReferralReward.objects.get(referee=chain.members[3], kind="join")
    assert refused.coupon_template_id == template.pk
    assert refused.coupon_not_given
    assert refused.coupon_refusal_reason == gettext("No coupons of this template are left.")
    template.refresh_from_db()
    assert template.issued_count == 2
    assert Coupon.objects.filter(template=template).count() == 2
    coupon = Coupon.objects.get(member=chain.members[0])
    assert (coupon.channel, coupon.source) == ("referral", f"referral:join:{chain.members[1].pk}")
    assert [balances(c)["points"] for c in chain.cards] == [100, 100, 100, 0]
    # A replayed event gives nothing more, coupon or points.
    again = services.reward_referrer(
        referee_id=chain.members[1].pk, kind="join", now=dt.datetime.now(dt.UTC)
    )
    assert again is None
    events_dispatch()
    template.refresh_from_db()
    assert (template.issued_count, Coupon.objects.count()) == (2, 2)
    assert ReferralReward.objects.filter(kind="join").count() == 3
    assert [balances(c)["points"] for c in chain.cards] == [100, 100, 100, 0]


def test_the_budget_limits_first_purchase_coupons(chain, owner, sell):
    events_dispatch()
    template = make_template(owner, value=1000, budget_fen=1000)
    set_policy(owner, first_purchase_coupon_template_id=template.pk)
    sell(chain.cards[3])  # 丁 → 丙 rewarded
    sell(chain.cards[2])  # 丙 → 乙: over the budget
    events_dispatch()
    # Delivered in order: 丁's sale gave 丙 the coupon; 丙's found the budget spent.
    assert rewards("first_purchase") == [
        ("乙", "丙", 50, False, "coupon_budget_exhausted"),
        ("丙", "丁", 50, True, ""),
    ]
    template.refresh_from_db()
    assert (template.issued_count, template.budget_used_fen) == (1, 1000)
    assert Coupon.objects.filter(template=template).count() == 1


def test_the_members_limit_is_kept_for_a_second_referee(chain, owner, cashier, sell):
    events_dispatch()
    template = make_template(owner, per_member_limit=1)
    set_policy(owner, join_points=0, join_coupon_template_id=template.pk)
    first = join(cashier, "戊", chain.members[0])
    second = join(cashier, "己", chain.members[0])
    events_dispatch()
    got = {
        r.referee_id: (r.points, r.coupon_id is not None, r.coupon_refusal)
        for r in ReferralReward.objects.filter(referrer=chain.members[0], kind="join")
    }
    assert got[first.pk] == (0, True, "")
    assert got[second.pk] == (0, False, "coupon_limit_reached")
    assert Coupon.objects.filter(template=template, member=chain.members[0]).count() == 1


def test_a_coupon_only_reward_needs_no_card(owner, cashier, policy):
    template = make_template(owner)
    set_policy(owner, join_points=0, join_coupon_template_id=template.pk)
    referrer = join(cashier, "无卡", None)  # no card
    referee = join(cashier, "新人", referrer)
    events_dispatch()
    reward = ReferralReward.objects.get(referee=referee)
    assert (reward.points, reward.card_id, reward.operation_id) == (0, None, None)
    assert reward.coupon is not None
    assert (reward.coupon.member_id, reward.coupon.template_id) == (referrer.pk, template.pk)


def test_a_stopped_template_is_recorded_as_not_given(chain, owner):
    template = make_template(owner)
    set_policy(owner, join_coupon_template_id=template.pk)
    template_stop(actor=owner, template_id=template.pk)
    events_dispatch()
    assert [r[4] for r in rewards()] == ["coupon_template_stopped"] * 3
    assert [r[2] for r in rewards()] == [100, 100, 100]
    assert Coupon.objects.count() == 0


def test_the_policy_refuses_an_unknown_or_stopped_template(owner, policy):
    before = services._policy_state(ReferralPolicy.current())
    stopped = make_template(owner)
    template_stop(actor=owner, template_id=stopped.pk)
    for bad in (987654, stopped.pk):
        with pytest.raises(DomainError) as refused:
            set_policy(owner, join_coupon_template_id=bad)
        assert (refused.value.code, refused.value.field) == (
            "unknown_coupon_template",
            "join_coupon_template_id",
        )
    assert services._policy_state(ReferralPolicy.current()) == before
    good = make_template(owner)
    policy = set_policy(owner, first_purchase_coupon_template_id=good.pk)
    assert (policy.join_coupon_template_id, policy.first_purchase_coupon_template_id) == (
        None,
        good.pk,
    )


def test_referral_coupons_are_counted_apart_from_event_coupons(chain, owner, staff):
    """One template both welcomes every new member (an event coupon) and rewards referrers
    (a referral coupon): the statistics — selector, API, console — tell them apart."""
    import re

    from django.test import Client

    from huiyuan.core.permissions import Role
    from huiyuan.coupons import selectors
    from huiyuan.coupons.services import coupon_issue
    from huiyuan.ledger.tests.factories import key

    template = make_template(owner, issue_on=("member.registered",))
    set_policy(owner, join_coupon_template_id=template.pk)
    events_dispatch()  # four registrations: four welcomes; three referrers rewarded
    coupon_issue(
        actor=owner, template_id=template.pk, member_id=chain.members[3].pk, idempotency_key=key()
    )
    channels = sorted(Coupon.objects.filter(template=template).values_list("channel", flat=True))
    assert channels == ["event"] * 4 + ["manual"] + ["referral"] * 3
    stats = selectors.template_stats(owner, template.pk)
    assert (stats.issued, stats.on_event, stats.referral, stats.manual, stats.batch) == (
        8,
        4,
        3,
        1,
        0,
    )
    assert stats.claimed == 0
    console = Client()
    console.force_login(staff[Role.OWNER])
    body = console.get(f"/api/v1/coupons/templates/{template.pk}/stats").json()
    assert {
        k: body[k] for k in ("issued", "on_event", "referral", "manual", "batch", "claimed")
    } == {
        "issued": 8,
        "on_event": 4,
        "referral": 3,
        "manual": 1,
        "batch": 0,
        "claimed": 0,
    }
    page = console.get(f"/coupons/templates/{template.pk}/").content.decode()
    shown = dict(re.findall(r'data-testid="stat-(\w+)">(\d+)<', page))
    assert {k: shown[k] for k in ("issued", "event", "referral", "manual", "batch")} == {
        "issued": "8",
        "event": "4",
        "referral": "3",
        "manual": "1",
        "batch": "0",
    }
