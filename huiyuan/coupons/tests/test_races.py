"""Real threads on PostgreSQL: 100 members claim a coupon with stock 10 at once (from 20
threads); a budget
under concurrent issues. Exactly what exists is issued, never one more."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection

from huiyuan.core.races import race
from huiyuan.coupons.models import Coupon, CouponTemplate
from huiyuan.coupons.services import coupon_claim, coupon_issue
from huiyuan.ledger.tests.factories import key
from huiyuan.members.models import Member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are tested on PostgreSQL (SQLite serialises writers)")


def members(count: int, stores) -> list[Member]:
    from django.utils import timezone

    now = timezone.now()
    return Member.objects.bulk_create(
        Member(
            code=f"M{n:05d}",
            name=f"会员{n}",
            name_pinyin="huiyuan",
            name_initials="hy",
            mobile_enc="x",
            mobile_hash=f"h{n}",
            mobile_masked="138****0000",
            mobile_last4="0000",
            channel="store",
            home_store=stores[0],
            joined_at=now,
        )
        for n in range(count)
    )


def test_100_concurrent_claims_of_a_stock_of_10_issue_exactly_10(make_template, owner, stores):
    template = make_template(stock=10, claimable=True)
    people = members(100, stores)
    results = race(
        *[
            lambda m=m: coupon_claim(
                actor=owner, template_id=template.pk, member_id=m.pk, idempotency_key=key()
            )
            for m in people
        ]
    )
    outcomes = Counter(r if isinstance(r, str) else "issued" for r in results)
    assert outcomes == {"issued": 10, "coupon_out_of_stock": 90}, outcomes
    assert Coupon.objects.filter(template=template).count() == 10
    assert CouponTemplate.objects.get(pk=template.pk).issued_count == 10
    assert len(set(Coupon.objects.values_list("code", flat=True))) == 10


def test_concurrent_issues_never_exceed_the_budget_nor_the_member_limit(
    make_template, owner, stores
):
    # ¥10 per coupon, budget ¥75: seven coupons at most; one member, limit 3, asks 5 times.
    template = make_template(budget_fen=7500, per_member_limit=0)
    people = members(30, stores)
    results = race(
        *[
            lambda m=m: coupon_issue(
                actor=owner, template_id=template.pk, member_id=m.pk, idempotency_key=key()
            )
            for m in people
        ]
    )
    outcomes = Counter(r if isinstance(r, str) else "issued" for r in results)
    assert outcomes == {"issued": 7, "coupon_budget_exhausted": 23}, outcomes
    template.refresh_from_db()
    assert (template.issued_count, template.budget_used_fen) == (7, 7000)

    limited = make_template(per_member_limit=3)
    one = people[0]
    results = race(
        *[
            lambda: coupon_issue(
                actor=owner, template_id=limited.pk, member_id=one.pk, idempotency_key=key()
            )
            for _ in range(8)
        ]
    )
    outcomes = Counter(r if isinstance(r, str) else "issued" for r in results)
    assert outcomes == {"issued": 3, "coupon_limit_reached": 5}, outcomes
